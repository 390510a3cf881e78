module artifact-generator/test/tools/tarcheck

go 1.22
