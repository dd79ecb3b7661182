namespace Saliency.Tests;

/// <summary>
/// libtorch reads <c>TORCH_CPP_LOG_LEVEL</c> with <c>getenv</c> when it loads. On Unix .NET keeps its own copy of
/// the environment, so the level must be set in the native one: checked through libc's <c>getenv</c>.
/// </summary>
public sealed class NativeLogLevelTests
{
    [Fact]
    public void After_initialisation_native_getenv_sees_the_libtorch_log_level()
    {
        TorchRuntime.EnsureInitialized();

        var native = NativeEnvironment.Get(TorchRuntime.NativeLogLevelVariable);

        native.Should().NotBeNullOrEmpty("Environment.SetEnvironmentVariable alone would leave getenv without it");
        native.Should().Be(Environment.GetEnvironmentVariable(TorchRuntime.NativeLogLevelVariable), "both environments agree");
    }

    [Fact]
    public void Setting_the_level_after_libtorch_has_loaded_reports_that_it_is_too_late()
    {
        TorchRuntime.EnsureInitialized();
        var current = NativeEnvironment.Get(TorchRuntime.NativeLogLevelVariable)!;

        TorchRuntime.SetNativeLogLevel(current).Should().BeFalse();
        NativeEnvironment.Get(TorchRuntime.NativeLogLevelVariable).Should().Be(current);
    }

    [Fact]
    public void NativeEnvironment_sets_what_native_getenv_reads()
    {
        const string name = "SALIENCY_NATIVE_ENVIRONMENT_TEST";

        NativeEnvironment.Set(name, "value-1");

        NativeEnvironment.Get(name).Should().Be("value-1");
        Environment.GetEnvironmentVariable(name).Should().Be("value-1");
    }
}
