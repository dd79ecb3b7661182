using System.Diagnostics;
using Xunit.Abstractions;

namespace Saliency.Tests;

/// <summary>
/// The packages as a user outside the repository gets them: pack to a temporary feed (with a version no cache has
/// seen), create an application in a temporary folder that references only Saliency and TorchSharp-cpu, annotate a
/// model there, build, run every built-in method, publish; then instantiate the saliency-method template, build it,
/// run its test, and drop its plugin folder into a running host. Restores use a private packages folder (the
/// machine's global one serves as a read-only fallback for TorchSharp) and the machine's own package sources.
/// </summary>
public sealed class PackagingTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);
    private readonly string _temp = Directory.CreateTempSubdirectory("saliency-packaging-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file; the folder is under the system's temporary directory.
        }
    }

    [Fact]
    public async Task The_packages_work_in_an_application_and_a_plugin_outside_the_repository()
    {
        var total = Stopwatch.StartNew();
        var version = $"0.0.1-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var feed = Path.Combine(_temp, "feed");
        var machinePackages = MachinePackagesFolder();
        File.WriteAllText(Path.Combine(_temp, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <!-- Adds the test's feed; the machine's own sources come from its user-level NuGet configuration. -->
            <configuration>
              <packageSources>
                <add key="saliency-packaging-test" value="{feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        var dotnet = new ChildProcess(new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_temp, "packages") });

        // Pack what the solution build produced, under a fresh version.
        foreach (var project in new[] { "src/Saliency.Abstractions", "src/Saliency.Core", "src/Saliency", "templates/Saliency.Templates.csproj" })
        {
            Step(dotnet.Dotnet(Repository.Root, Timeout, "pack", project, "-c", Repository.Configuration, "--no-build", "-o", feed,
                $"-p:PackageVersion={version}", $"-p:NuspecOutputPath={Path.Combine(_temp, "nuspec", Path.GetFileName(project))}/", "-v", "q", "-clp:NoSummary"));
        }

        Directory.GetFiles(feed).Select(Path.GetFileName).Should().BeEquivalentTo(
            new[] { "Saliency", "Saliency.Abstractions", "Saliency.Core", "Saliency.Templates" }.Select(id => $"{id}.{version}.nupkg"));

        // An application that references Saliency (+ TorchSharp-cpu) only, with an annotated model.
        var app = Path.Combine(_temp, "app");
        Directory.CreateDirectory(app);
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Assets", "PackagedApp")))
        {
            File.WriteAllText(Path.Combine(app, Path.GetFileName(file)), File.ReadAllText(file).Replace("$SALIENCY_VERSION$", version, StringComparison.Ordinal));
        }

        // The one layer invoked with forward is reported once: one warning in the build's count (its closing
        // summary repeats the line, which is why the text appears twice).
        var build = Step(dotnet.Dotnet(app, Timeout, "build", "-c", "Release"));
        var sal009 = build.Out.Split('\n').Where(l => l.Contains("warning SAL009", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
        sal009.Should().ContainSingle().Which.Should()
            .Contain("Program.cs(").And.Contain("'features' is invoked with forward(...)").And.NotContain("http", "no rule links to a home page");
        build.Out.Should().Contain(" 1 Warning(s)");

        var expected = BuiltInMethodIds();
        var run = Step(dotnet.Dotnet(app, Timeout, "bin/Release/net10.0/PackagedApp.dll", "explain"));
        run.Out.Should().Contain($"methods: {string.Join(",", expected)}\n", "every built-in method is served with no copy step");
        foreach (var id in expected)
        {
            run.Out.Should().Contain($"ok {id} [2,32,32] 0.000..1.000", $"{id} explains the annotated model");
        }

        run.Error.Should().BeEmpty("libtorch's own warnings stay off stderr");

        var published = Path.Combine(_temp, "publish");
        Step(dotnet.Dotnet(app, Timeout, "publish", "-c", "Release", "--no-build", "-o", published, "-v", "q"));
        var fromPublish = Step(dotnet.Dotnet(published, Timeout, "PackagedApp.dll", "methods"));
        fromPublish.Out.Should().Be($"methods: {string.Join(",", expected)}\n", "the publish folder serves every built-in method too");

        // The template: instantiate, build, run its test, then drop the plugin into a running host.
        var hive = Path.Combine(_temp, "template-hive");
        Step(dotnet.Dotnet(_temp, Timeout, "new", "install", Path.Combine(feed, $"Saliency.Templates.{version}.nupkg"), "--debug:custom-hive", hive));
        Step(dotnet.Dotnet(_temp, Timeout, "new", "saliency-method", "-n", "Acme.XGrad", "-C", "XGrad", "-M", "x-grad", "--debug:custom-hive", hive));
        var plugin = Path.Combine(_temp, "Acme.XGrad");
        Step(dotnet.Dotnet(plugin, Timeout, "build", "-c", "Release", "-clp:NoSummary"));
        Directory.GetFiles(Path.Combine(plugin, "src", "Acme.XGrad", "bin", "Release", "Acme.XGrad")).Select(Path.GetFileName).Should()
            .BeEquivalentTo(["Acme.XGrad.dll", "Acme.XGrad.pdb", "Acme.XGrad.deps.json", "Acme.XGrad.runtimeconfig.json"], "the plugin folder holds only the plugin's own files");
        Step(dotnet.Dotnet(plugin, Timeout, "test", "-c", "Release", "--no-build")).Out.Should().Contain("Passed!");

        var drop = Directory.CreateDirectory(Path.Combine(_temp, "drop")).FullName;
        using (var serve = dotnet.Start(app, "bin/Release/net10.0/PackagedApp.dll", "serve", drop))
        {
            var error = serve.StandardError.ReadToEndAsync();
            (await serve.StandardOutput.ReadLineAsync()).Should().Be("ready");
            CopyFolder(Path.Combine(plugin, "src", "Acme.XGrad", "bin", "Release", "Acme.XGrad"), Path.Combine(drop, "Acme.XGrad"));
            var served = serve.StandardOutput.ReadToEndAsync();
            using (var timeout = new CancellationTokenSource(Timeout))
            {
                await serve.WaitForExitAsync(timeout.Token);
            }

            var (servedText, errorText) = (await served, await error);
            output.WriteLine($"serve: {servedText}{errorText}");
            serve.ExitCode.Should().Be(0, servedText + errorText);
            servedText.Should().StartWith("served x-grad [2,32,32] 1.000");
        }

        output.WriteLine($"packaging test: {total.Elapsed.TotalSeconds:F0} s");
    }

    private ProcessRun Step(ProcessRun run)
    {
        output.WriteLine($"{run.Elapsed.TotalSeconds,6:F1} s  {run.Command}");
        run.ExitCode.Should().Be(0, run.ToString());
        return run;
    }

    private static List<string> BuiltInMethodIds()
    {
        using var host = SaliencyHost.Create(new SaliencyHostOptions { HotReload = false, UseEnvironmentPluginPath = false, KernelCheck = KernelCheckMode.Off });
        return [.. host.Methods.Select(m => m.Id)];
    }

    private static string MachinePackagesFolder()
    {
        // What `dotnet nuget locals global-packages --list` prints: "global-packages: /path/".
        var run = new ChildProcess(new Dictionary<string, string>()).Dotnet(Path.GetTempPath(), Timeout, "nuget", "locals", "global-packages", "--list");
        run.ExitCode.Should().Be(0, run.ToString());
        return run.Out.Trim().Split(": ", 2)[1].Trim();
    }

    private static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source).OrderBy(f => f.EndsWith(".dll", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }
}
