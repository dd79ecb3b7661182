using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Saliency;

/// <summary>
/// The processor as CPUID describes it: vendor, model, the vector extensions libtorch's kernels use, and the cache
/// sizes — which oneDNN reads to block its convolutions. Some virtual machines hide the cache leaves (they read zero).
/// </summary>
/// <param name="Vendor">E.g. <c>AuthenticAMD</c>, <c>GenuineIntel</c>.</param>
/// <param name="Model">The brand string, e.g. <c>AMD EPYC 9B14</c>.</param>
/// <param name="Extensions">The vector extensions present, e.g. <c>AVX2</c>, <c>AVX-512F</c>.</param>
/// <param name="Source">The CPUID leaf the cache sizes come from (the one oneDNN reads).</param>
/// <param name="L1Data">Per-core L1 data cache in bytes (0: not reported).</param>
/// <param name="L2">Per-core L2 cache in bytes (0: not reported).</param>
/// <param name="L3">L3 cache in bytes (0: not reported).</param>
/// <param name="LegacyL1Data">The L1 data size from AMD's older leaf 0x80000005, when the main leaf reads zero (bytes; 0 if none).</param>
public sealed record CpuInfo(string Vendor, string Model, IReadOnlyList<string> Extensions, string Source, long L1Data, long L2, long L3, long LegacyL1Data)
{
    /// <summary>Whether the leaf oneDNN reads reports a per-core L1 data cache.</summary>
    public bool ReportsSizes => L1Data > 0;

    /// <summary>Reads CPUID; <see langword="null"/> on processors that are not x86.</summary>
    public static CpuInfo? Read()
    {
        if (!X86Base.IsSupported)
        {
            return null;
        }

        var (_, vendorB, vendorC, vendorD) = X86Base.CpuId(0, 0);
        var vendor = Text(vendorB, vendorD, vendorC);
        var maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        var amd = vendor is "AuthenticAMD" or "HygonGenuine";
        var leaf = amd ? unchecked((int)0x8000001D) : 4;
        var source = amd ? "CPUID leaf 0x8000001D" : "CPUID leaf 4";
        long l1 = 0, l2 = 0, l3 = 0;
        if (!amd || maxExtended >= 0x8000001D)
        {
            for (var index = 0; index < 16; index++)
            {
                var (a, b, c, _) = X86Base.CpuId(leaf, index);
                var type = a & 0x1F;
                if (type == 0)
                {
                    break;
                }

                var level = (a >> 5) & 0x7;
                var bytes = (long)((((uint)b >> 22) & 0x3FF) + 1) * ((((uint)b >> 12) & 0x3FF) + 1) * (((uint)b & 0xFFF) + 1) * ((uint)c + 1L);
                switch (level, type)
                {
                    case (1, 1):
                        l1 = bytes;
                        break;
                    case (2, _) when type != 2:
                        l2 = bytes;
                        break;
                    case (3, _) when type != 2:
                        l3 = bytes;
                        break;
                }
            }
        }

        var legacy = amd && maxExtended >= 0x80000005 ? ((long)((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24)) * 1024 : 0;
        return new CpuInfo(vendor, Brand(maxExtended), VectorExtensions(), source, l1, l2, l3, legacy);
    }

    private static string Brand(uint maxExtended)
    {
        if (maxExtended < 0x80000004)
        {
            return "unknown";
        }

        var text = new StringBuilder();
        for (var leaf = 0x80000002; leaf <= 0x80000004; leaf++)
        {
            var (a, b, c, d) = X86Base.CpuId(unchecked((int)leaf), 0);
            text.Append(Text(a, b, c, d));
        }

        return text.ToString().TrimEnd('\0').Trim();
    }

    private static string Text(params int[] registers)
    {
        var bytes = new byte[registers.Length * 4];
        for (var i = 0; i < registers.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), registers[i]);
        }

        return Encoding.ASCII.GetString(bytes).TrimEnd('\0');
    }

    private static List<string> VectorExtensions()
    {
        var found = new List<string>();
        void Add(bool present, string name)
        {
            if (present)
            {
                found.Add(name);
            }
        }

        Add(Avx2.IsSupported, "AVX2");
        Add(Fma.IsSupported, "FMA");
        Add(Avx512F.IsSupported, "AVX-512F");
        Add(Avx512BW.IsSupported, "AVX-512BW");
        Add(Avx512Vbmi.IsSupported, "AVX-512VBMI");
        Add(AvxVnni.IsSupported, "AVX-VNNI");
        Add(Avx10v1.IsSupported, "AVX10.1");
        return found;
    }
}
