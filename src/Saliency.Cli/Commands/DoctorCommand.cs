using System.ComponentModel;
using Saliency.Cli.Doctoring;
using Saliency.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary>
/// <c>saliency doctor</c>: whether this machine can explain correctly — runtime, libstdc++, libtorch, CPU and caches,
/// oneDNN, the kernel self-check per device, threads, CUDA, plugins, allocator — one line each with ✓, ! or ✗ and,
/// where something is not fine, the fix. Exit 0 when everything needed works, 1 otherwise.
/// </summary>
internal sealed class DoctorCommand(CliConsole console) : Command<DoctorCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandOption("-d|--device <DEVICE>")]
        [Description("Which devices to check: cpu, or auto (the CPU and every CUDA device).")]
        [DefaultValue("auto")]
        public string Device { get; set; } = "auto";

        [CommandOption("--kernel-check <MODE>")]
        [Description("auto (turn oneDNN off if its kernels are wrong, as explain does) or strict (report the failure without routing around it).")]
        [DefaultValue("auto")]
        public string KernelCheck { get; set; } = "auto";

        public override ValidationResult Validate() =>
            Device.Trim().ToLowerInvariant() is not ("auto" or "cpu") ? ValidationResult.Error($"--device must be cpu or auto; got '{Device}'.")
            : KernelCheckOption.Validate(KernelCheck);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var checks = new List<MachineCheck>();
        var width = 0;
        foreach (var check in MachineChecks.Run(KernelCheckOption.Parse(settings.KernelCheck), settings.Device.Trim().ToLowerInvariant()))
        {
            checks.Add(check);
            width = Math.Max(width, check.Name.Length);
        }

        foreach (var check in checks)
        {
            console.WriteLine($"{check.Symbol} {check.Name.PadRight(width)}  {check.Detail}");
            foreach (var line in check.Lines ?? [])
            {
                console.WriteLine($"  {string.Empty.PadRight(width)}    {line}");
            }

            if (check.Fix is { } fix)
            {
                console.WriteLine($"  {string.Empty.PadRight(width)}  → {fix}");
            }
        }

        var broken = checks.Count(c => c.Finding == Finding.Broken);
        var notes = checks.Count(c => c.Finding == Finding.Note);
        console.WriteLine(broken == 0
            ? $"Saliency can explain correctly on this machine{(notes == 0 ? "." : $" ({notes} note(s) above).")}"
            : $"{broken} problem(s) above stop Saliency from explaining correctly here.");
        return broken == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
    }
}
