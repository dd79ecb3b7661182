#!/usr/bin/env bash
# Brings PublicAPI.Unshipped.txt of Saliency.Abstractions and Saliency.Core up to date with the code: adds the
# symbols the PublicApiAnalyzers report as undeclared (RS0016) and drops those declared but gone (RS0017).
# Review the diff: it is the change to the public contract.
#
#   eng/update-public-api.sh
set -euo pipefail
cd "$(dirname "$0")/.."

for project in Saliency.Abstractions Saliency.Core; do
  file="src/$project/PublicAPI.Unshipped.txt"
  for _ in 1 2 3; do
    log=$(dotnet build "src/$project" -c Release -v q -clp:NoSummary 2>&1 || true)
    added=$(printf '%s\n' "$log" | grep "error RS0016" | grep "$project.csproj" | sed -E "s/.*Symbol '(.*)' is not part of the declared public API.*/\1/" | sort -u || true)
    removed=$(printf '%s\n' "$log" | grep "error RS0017" | grep "$project.csproj" | sed -E "s/.*Symbol '(.*)' is part of the declared API.*/\1/" | sort -u || true)
    [ -z "$added$removed" ] && break
    {
      echo '#nullable enable'
      { grep -v '^#nullable' "$file" | grep -vxF -f <(printf '%s\n' "$removed") || true; printf '%s\n' "$added"; } | grep -v '^$' | sort -u
    } > "$file.new"
    mv "$file.new" "$file"
  done
  echo "$file: $(grep -vc '^#' "$file") symbols"
done
