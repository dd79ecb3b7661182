using System.Globalization;

namespace Saliency.Benchmarking;

/// <summary>
/// What the rest of the machine was doing: the load averages of <c>/proc/loadavg</c> (1, 5 and 15 minutes). On a
/// 2-core machine a load above about 1 beside a benchmark means other processes competed for the cores, and
/// absolute times are not to be trusted (ratios measured in the same run, interleaved, suffer less).
/// </summary>
/// <param name="One">The 1-minute load average.</param>
/// <param name="Five">The 5-minute load average.</param>
/// <param name="Fifteen">The 15-minute load average.</param>
public sealed record LoadAverage(double One, double Five, double Fifteen)
{
    /// <summary>Reads <c>/proc/loadavg</c>.</summary>
    /// <returns>The load averages, or <see langword="null"/> where the file does not exist (not Linux).</returns>
    public static LoadAverage? Read()
    {
        const string path = "/proc/loadavg";
        try
        {
            return File.Exists(path) ? Parse(File.ReadAllText(path)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Parses the first three fields of a <c>/proc/loadavg</c> line.</summary>
    /// <param name="text">For example <c>1.10 2.54 2.36 3/412 9876</c>.</param>
    /// <returns>The load averages, or <see langword="null"/> if the text does not start with three numbers.</returns>
    public static LoadAverage? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 3
            && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var one)
            && double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var five)
            && double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var fifteen)
            ? new LoadAverage(one, five, fifteen)
            : null;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{One:0.00} {Five:0.00} {Fifteen:0.00}");
}

/// <summary>The memory of this process and machine, as the memory check reads it.</summary>
public static class ProcessMemory
{
    /// <summary>
    /// The resident set size in bytes: <c>VmRSS</c> of <c>/proc/self/status</c> on Linux (read fresh each time),
    /// else <see cref="Environment.WorkingSet"/>.
    /// </summary>
    /// <returns>The RSS in bytes.</returns>
    public static long ResidentBytes()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (var line in File.ReadLines(status))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal) && ParseKilobytes(line) is { } kib)
                {
                    return kib * 1024;
                }
            }
        }

        return Environment.WorkingSet;
    }

    /// <summary>The machine's physical memory in GiB: <c>MemTotal</c> of <c>/proc/meminfo</c>, else what the GC sees.</summary>
    /// <returns>GiB, or <see langword="null"/> if unknown.</returns>
    public static double? TotalGiB()
    {
        const string meminfo = "/proc/meminfo";
        if (File.Exists(meminfo))
        {
            foreach (var line in File.ReadLines(meminfo))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal) && ParseKilobytes(line) is { } kib)
                {
                    return kib / (1024.0 * 1024);
                }
            }
        }

        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available > 0 ? available / (1024.0 * 1024 * 1024) : null;
    }

    /// <summary>Parses a <c>/proc</c> line such as <c>VmRSS:	  412345 kB</c>.</summary>
    /// <param name="line">The line.</param>
    /// <returns>The number of KiB, or <see langword="null"/>.</returns>
    internal static long? ParseKilobytes(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return null;
        }

        var fields = line[(colon + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 1 && long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
    }
}
