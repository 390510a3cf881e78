#!/usr/bin/env bash
# The layering rule of docs/ARCHITECTURE.md, checked on every include of
# src/: a file of one folder may include only its own folder and the
# folders below it. The pure layers (base, archive, storage, generator,
# engine) include neither libuv nor anything of the loop or Kubernetes.
#
#   cmd         -> everything
#   controller  -> kube net engine storage generator archive base
#   kube        -> net base
#   net         -> base
#   engine      -> storage generator archive base
#   storage     -> archive base
#   generator   -> base
#   archive     -> base
#   base        -> (itself only)
#
# Prints each violation as "file:line: folder -> folder/header.h" and ends
# with "layers: N passed, N failed" (one check per file). Exit 1 on any.
#
# usage: scripts/check-layers.sh
set -uo pipefail
cd "$(dirname "$0")/.."

declare -A allowed=(
	[cmd]="cmd controller kube net engine storage generator archive base"
	[controller]="controller kube net engine storage generator archive base"
	[kube]="kube net base"
	[net]="net base"
	[engine]="engine storage generator archive base"
	[storage]="storage archive base"
	[generator]="generator base"
	[archive]="archive base"
	[base]="base"
)
pure=" engine storage generator archive base "

passed=0
failed=0
while IFS= read -r file; do
	folder=${file#src/}
	folder=${folder%%/*}
	ok=1
	if [ -z "${allowed[$folder]+set}" ]; then
		echo "$file: folder '$folder' has no place in the layers (scripts/check-layers.sh)"
		ok=0
	fi
	while IFS=: read -r line text; do
		inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$text")
		case "$inc" in
		*/*) ;;
		*)	# same-folder private headers (http_internal.h) and llhttp.h
			[ -f "$(dirname "$file")/$inc" ] || [ "$inc" = llhttp.h ] && continue
			echo "$file:$line: include \"$inc\" names no folder"
			ok=0; continue ;;
		esac
		to=${inc%%/*}
		case " ${allowed[$folder]:-} " in
		*" $to "*) ;;
		*) echo "$file:$line: $folder -> $inc (points up the layers)"; ok=0 ;;
		esac
	done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file")
	if [[ "$pure" == *" $folder "* ]] &&
		grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*<uv\.h>' "$file"; then
		echo "$file: a pure layer includes libuv"
		ok=0
	fi
	if [ "$ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done < <(find src -name '*.[ch]' | sort)

echo "layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
