# Build glue for llhttp, which Debian ships as C sources in the node-llhttp
# package (/usr/share/llhttp/*.c, header in /usr/share/include/llhttp). The
# sources are compiled into the build directory with the project's flags
# (warnings off: it is third-party code); nothing of it is committed here.
LLHTTP_SRC_DIR ?= /usr/share/llhttp
LLHTTP_INC_DIR ?= /usr/share/include/llhttp
LLHTTP_SRC     := $(addprefix $(LLHTTP_SRC_DIR)/,api.c http.c llhttp.c)
