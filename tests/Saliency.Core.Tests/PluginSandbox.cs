using Microsoft.Extensions.Logging;

namespace Saliency.Tests;

/// <summary>A private temporary plugin directory, the test plugins to copy into it, and a logger that records.</summary>
internal sealed class PluginSandbox : IDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public PluginSandbox()
    {
        Root = Directory.CreateTempSubdirectory("saliency-test-plugins-").FullName;
    }

    public string Root { get; }

    public RecordingLogger Logger { get; } = new();

    /// <summary>The build output of a test plugin project under artifacts/testplugins.</summary>
    public static string BuiltPlugin(string project)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Saliency.sln")))
            {
                return Path.Combine(dir.FullName, "artifacts", "testplugins", Configuration, project);
            }
        }

        throw new DirectoryNotFoundException("Saliency.sln not found above the test assembly.");
    }

    /// <summary>Copies a built test plugin into <c>Root/&lt;folder&gt;</c>, the main assembly last (as a deployment would).</summary>
    public string Install(string project, string folder)
    {
        var source = BuiltPlugin(project);
        var target = Path.Combine(Root, folder);
        Directory.CreateDirectory(target);
        var files = Directory.GetFiles(source).OrderBy(f => f.EndsWith(folder + ".dll", StringComparison.Ordinal)).ToList();
        foreach (var file in files)
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        return Path.Combine(target, folder + ".dll");
    }

    public SaliencyHost CreateHost(Func<SaliencyHostOptions, SaliencyHostOptions>? configure = null)
    {
        var options = new SaliencyHostOptions
        {
            PluginDirectories = [Root],
            UseDefaultPluginDirectory = false,
            UseEnvironmentPluginPath = false,
            Device = "cpu",
            ReloadDelay = TimeSpan.FromMilliseconds(100),
            Logger = Logger,
        };
        return SaliencyHost.Create(configure is null ? options : configure(options));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>An ILogger that keeps every message.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly List<string> _messages = [];

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_messages)
        {
            _messages.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}
