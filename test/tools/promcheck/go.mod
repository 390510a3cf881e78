module artifact-generator/test/tools/promcheck

go 1.23

require (
	github.com/prometheus/client_model v0.6.1
	github.com/prometheus/common v0.62.0
	google.golang.org/protobuf v1.36.8
)

require github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
