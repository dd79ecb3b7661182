using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Saliency.Tests;

public sealed class DependencyInjectionTests : IDisposable
{
    private readonly string _first = Directory.CreateTempSubdirectory("saliency-di-a-").FullName;
    private readonly string _second = Directory.CreateTempSubdirectory("saliency-di-b-").FullName;

    public void Dispose()
    {
        Directory.Delete(_first, recursive: true);
        Directory.Delete(_second, recursive: true);
    }

    [Fact]
    public void AddSaliency_binds_the_Saliency_section_then_the_delegate_and_serves_one_host_that_logs_through_ILogger()
    {
        Repository.InstallPlugin(Repository.TestPlugin("ConstantMapV1"), _first, "Saliency.TestPlugin");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Saliency:PluginDirectories:0"] = _first,
            ["Saliency:UseDefaultPluginDirectory"] = "false",
            ["Saliency:UseEnvironmentPluginPath"] = "false",
            ["Saliency:HotReload"] = "false",
            ["Saliency:Device"] = "cpu",
            ["Saliency:KernelCheck"] = "Off",
        }).Build();
        var logs = new RecordingLoggerProvider();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(logging => logging.AddProvider(logs))
            .AddSaliency(options => options.PluginDirectories.Add(_second));

        SaliencyHost host;
        using (var provider = services.BuildServiceProvider())
        {
            host = provider.GetRequiredService<SaliencyHost>();

            provider.GetRequiredService<SaliencyHost>().Should().BeSameAs(host);
            host.PluginDirectories.Should().Equal(_first, _second);
            host.Methods.Select(m => m.Id).Should().Equal("constant-map");
            host.Device.type.Should().Be(TorchSharp.DeviceType.CPU);
            logs.Entries.Should().Contain(e => e.StartsWith("Saliency.SaliencyHost: Loaded plugin Saliency.TestPlugin v1 from ", StringComparison.Ordinal));
        }

        var disposed = () => host.CheckKernels();
        disposed.Should().Throw<ObjectDisposedException>("the container disposes the host it created");
    }

    [Fact]
    public void Without_configuration_or_logging_the_options_come_from_the_delegate_alone()
    {
        var services = new ServiceCollection().AddSaliency(options =>
        {
            options.UseDefaultPluginDirectory = false;
            options.UseEnvironmentPluginPath = false;
            options.HotReload = false;
            options.PluginDirectories.Add(_second);
        });

        using var provider = services.BuildServiceProvider();
        var host = provider.GetRequiredService<SaliencyHost>();

        host.PluginDirectories.Should().Equal(_second);
        host.Methods.Should().BeEmpty();
    }
}
