using TorchSharp;

namespace Saliency.Tests;

public sealed class RuntimeTests
{
    [Fact]
    public void A_loader_error_about_glibcxx_names_the_symbol_and_the_fix()
    {
        var failure = new TypeInitializationException("TorchSharp.torch", new NotSupportedException("This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64"));
        var error = TorchRuntime.Diagnose(failure, "/opt/old/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /app/libLibTorchSharp.so)", null);

        error.Message.Should().StartWith("TorchSharp's native library cannot load: /opt/old/libstdc++.so.6 lacks GLIBCXX_3.4.32")
            .And.EndWith("Fix: install libstdc++ from GCC 13 or newer (on Debian 12, libstdc++6 from Debian 13).");
        error.Message.Should().NotContain("\n").And.NotContainAny("eng/", "sudo", "repository", "saliency ");
        error.MissingGlibcxx.Should().Be(TorchRuntime.RequiredGlibcxx, "an application can add its own set-up advice");
        error.InnerException.Should().BeSameAs(failure);
    }

    [Fact]
    public void A_libstdcxx_without_the_symbol_is_diagnosed_from_the_file_itself()
    {
        var fake = Path.GetTempFileName();
        try
        {
            File.WriteAllText(fake, "GLIBCXX_3.4.29 GLIBCXX_3.4.30 (an old libstdc++)");
            var error = TorchRuntime.Diagnose(new DllNotFoundException("LibTorchSharp"), null, fake);
            error.Message.Should().Contain(fake).And.Contain("lacks GLIBCXX_3.4.32");
        }
        finally
        {
            File.Delete(fake);
        }
    }

    [Fact]
    public void Any_other_load_failure_says_which_package_to_reference()
    {
        var fake = Path.GetTempFileName();
        try
        {
            File.WriteAllText(fake, "... GLIBCXX_3.4.32 ...");
            var error = TorchRuntime.Diagnose(new DllNotFoundException("libtorch_cpu.so: cannot open shared object file"), null, fake);
            error.Message.Should().Contain("libtorch_cpu.so: cannot open shared object file").And.Contain("TorchSharp-cpu").And.Contain("libtorch-cuda-12.8-linux-x64");
            error.Message.Should().NotContain("-p:", "a library user builds with their own switches");
            error.MissingGlibcxx.Should().BeNull();
        }
        finally
        {
            File.Delete(fake);
        }
    }

    [Fact]
    public void On_this_machine_TorchSharp_is_initialised()
    {
        var act = TorchRuntime.EnsureInitialized;
        act.Should().NotThrow();
        torch.get_num_threads().Should().BeGreaterThan(0);
    }

    [Fact]
    public void The_allocator_is_tuned_on_linux_with_glibc_and_left_alone_elsewhere()
    {
        var applied = NativeAllocator.TuneForTensors();

        var expected = OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libc.so.6")
            && Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null && Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is null;
        applied.Should().Be(expected);
        NativeAllocator.IsTuned.Should().Be(expected);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("CPU")]
    [InlineData(" cpu ")]
    public void Cpu_is_parsed(string name) => DeviceSelector.Parse(name).type.Should().Be(DeviceType.CPU);

    [Fact]
    public void Auto_picks_cuda_only_when_available() =>
        DeviceSelector.Parse("auto").type.Should().Be(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU);

    [Fact]
    public void An_unknown_device_lists_the_accepted_names()
    {
        var act = () => DeviceSelector.Parse("gpu");
        act.Should().Throw<ArgumentException>().WithMessage("*Unknown device 'gpu'*cpu, cuda, cuda:N or auto*");
    }

    [Fact]
    public void Cuda_without_a_gpu_explains_why_and_names_the_backend_package_and_the_devices_to_pass()
    {
        if (torch.cuda.is_available())
        {
            return;
        }

        var act = () => DeviceSelector.Parse("cuda:0");
        act.Should().Throw<ArgumentException>().WithMessage("*CUDA*libtorch-cuda-12.8*Pass device 'cpu' or 'auto'.*")
            .Which.Message.Should().NotContainAny("--device", "-p:");
    }
}
