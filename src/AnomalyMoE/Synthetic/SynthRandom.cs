using System.Numerics;
using System.Text;

namespace AnomalyMoE.Synthetic;

/// <summary>
/// A small deterministic generator (xoshiro256**) owned by one image. Every image derives its own
/// stream from (seed, family, category, split, index), so images can be rendered in any order and on
/// any thread and still come out byte-identical for a seed. <see cref="Fork"/> derives independent
/// child streams without advancing the parent (layout, defect and photometric draws stay separate,
/// so adding a defect never moves the normal content).
/// </summary>
public sealed class SynthRandom
{
    ulong s0, s1, s2, s3;

    SynthRandom(ulong seed)
    {
        s0 = SplitMix(ref seed); s1 = SplitMix(ref seed); s2 = SplitMix(ref seed); s3 = SplitMix(ref seed);
    }

    /// <summary>The stream of one image (or of one clip, with a distinguishing <paramref name="split"/> tag).</summary>
    public static SynthRandom ForImage(int seed, string family, string category, string split, int index) =>
        new(Hash($"{seed}\u001f{family}\u001f{category}\u001f{split}\u001f{index}"));

    /// <summary>A child stream named by <paramref name="tag"/>; the parent's state is not advanced.</summary>
    public SynthRandom Fork(string tag) => new(Hash(tag) ^ Mix(s0) ^ Mix(s1 + 0x9E3779B97F4A7C15UL) ^ Mix(s2 ^ s3));

    /// <summary>An independent copy at the same position (replays the same draws).</summary>
    public SynthRandom Clone() => (SynthRandom)MemberwiseClone();

    public ulong NextULong()
    {
        var result = BitOperations.RotateLeft(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
        s3 = BitOperations.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public float Range(float lo, float hi) => lo + (float)NextDouble() * (hi - lo);

    /// <summary>Uniform integer in [lo, hiExclusive).</summary>
    public int Int(int lo, int hiExclusive) => lo + (int)(NextDouble() * (hiExclusive - lo));

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box–Muller).</summary>
    public float Gaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>
    /// Approximately standard normal (sum of four 16-bit uniforms, Irwin–Hall): one draw, no transcendental
    /// functions, for per-pixel noise.
    /// </summary>
    public float NextApproxNormal()
    {
        var bits = NextULong();
        var sum = (bits & 0xFFFF) + ((bits >> 16) & 0xFFFF) + ((bits >> 32) & 0xFFFF) + (bits >> 48);
        // Mean 4 × 32767.5; standard deviation sqrt(4 × (65536² − 1) / 12) ≈ 37837.3.
        return (sum - 131070f) / 37837.3f;
    }

    /// <summary>A value near <paramref name="centre"/>, ± <paramref name="spread"/> uniformly.</summary>
    public float Jitter(float centre, float spread) => centre + Range(-spread, spread);

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(0, items.Count)];

    static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        return Mix(x);
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>FNV-1a over UTF-8: stable across processes and runtimes (unlike string.GetHashCode).</summary>
    static ulong Hash(string text)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(text)) { h ^= b; h *= 0x100000001B3UL; }
        return Mix(h);
    }
}
