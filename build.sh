#!/usr/bin/env bash
# Saliency's one entry point. Every command first runs eng/setup.sh (TorchSharp's native library needs
# libstdc++ with GLIBCXX_3.4.32; on Debian 12 the script installs it from Debian 13, as root).
#
#   ./build.sh demo     build, then write the demo figure (out/demo/demo.png)
#   ./build.sh test     build and run every test (Release)
#   ./build.sh bench    build and run the benchmarks (saliency-bench; --help lists its modes and options)
#   ./build.sh doctor   check that this machine explains correctly (saliency doctor)
#   ./build.sh pack     write the packages (Saliency, Saliency.Abstractions, Saliency.Core, Saliency.Imaging,
#                       Saliency.Templates, and the Saliency.Cli tool) to artifacts/packages
#   ./build.sh setup    only the machine set-up
set -euo pipefail
cd "$(dirname "$0")"

command="${1:-test}"
shift || true

if [ "$(id -u)" = 0 ] || ! command -v sudo >/dev/null 2>&1; then
  eng/setup.sh
else
  sudo eng/setup.sh
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

case "$command" in
  setup)
    ;;
  test)
    dotnet build Saliency.sln -c Release -v minimal -clp:NoSummary
    log=$(mktemp)
    status=0
    dotnet test Saliency.sln -c Release --no-build -v minimal "$@" 2>&1 | tee "$log" || status=$?
    # One closing line for the whole solution, summed over the test assemblies.
    awk '/^(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
         END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
    rm -f "$log"
    exit "$status"
    ;;
  demo)
    dotnet build src/Saliency.Cli -c Release -v minimal -clp:NoSummary
    dotnet src/Saliency.Cli/bin/Release/net10.0/saliency.dll demo "$@"
    ;;
  bench)
    dotnet build bench/Saliency.Benchmarks -c Release -v minimal -clp:NoSummary
    dotnet bench/Saliency.Benchmarks/bin/Release/net10.0/saliency-bench.dll "$@"
    ;;
  doctor)
    dotnet build src/Saliency.Cli -c Release -v minimal -clp:NoSummary
    dotnet src/Saliency.Cli/bin/Release/net10.0/saliency.dll doctor "$@"
    ;;
  pack)
    # Versioned together (Directory.Build.props); extra arguments go to each dotnet pack (e.g. -p:Version=0.2.0).
    rm -rf artifacts/packages
    for project in src/Saliency.Abstractions src/Saliency.Core src/Saliency src/Saliency.Imaging templates/Saliency.Templates.csproj src/Saliency.Cli; do
      dotnet pack "$project" -c Release -o artifacts/packages -v minimal -clp:NoSummary "$@"
    done
    ls -l artifacts/packages
    ;;
  *)
    echo "usage: ./build.sh [demo|test|bench|doctor|pack|setup] [arguments]" >&2
    exit 2
    ;;
esac
