using System.Runtime.CompilerServices;

namespace AnomalyMoE.Evaluation;

/// <summary>Extracts the 32-bit sort key of an item; a struct so the radix loops are specialised per key kind.</summary>
internal interface IRadixKey<T> where T : unmanaged
{
    static abstract uint Key(T item);
}

/// <summary>A <see cref="uint"/> is its own key.</summary>
internal readonly struct UIntKey : IRadixKey<uint>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Key(uint item) => item;
}

/// <summary>A <see cref="ulong"/> whose high 32 bits are the key and low 32 bits a payload (a region id).</summary>
internal readonly struct HighKey : IRadixKey<ulong>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Key(ulong item) => (uint)(item >> 32);
}

/// <summary>
/// Stable least-significant-digit radix sort on a 32-bit key, three passes of 11 bits, with every pass
/// split over all cores: each chunk counts its digits, the counts are laid out digit-major/chunk-minor,
/// and each chunk scatters its items to its own slots (so the sort stays stable). Passes whose digit is
/// the same for every item are skipped.
/// </summary>
internal static class ParallelRadixSort
{
    const int DigitBits = 11;
    const int Buckets = 1 << DigitBits;
    const uint DigitMask = Buckets - 1;
    const int MinChunk = 1 << 16;

    /// <summary>Sorts <paramref name="items"/> ascending by key; returns the array that holds the result
    /// (<paramref name="items"/> or <paramref name="scratch"/>, which must be at least as long).</summary>
    public static unsafe T[] Sort<T, TKey>(T[] items, T[] scratch) where T : unmanaged where TKey : struct, IRadixKey<T>
    {
        var length = items.Length;
        if (scratch.Length < length) throw new ArgumentException("Scratch buffer is shorter than the input.", nameof(scratch));
        if (length <= 1) return items;
        var chunkCount = Math.Max(1, Math.Min(Environment.ProcessorCount, length / MinChunk));
        var counts = new int[chunkCount * Buckets];
        var source = items;
        var target = scratch;
        for (var shift = 0; shift < 32; shift += DigitBits)
        {
            var from = source;
            var s = shift;
            Array.Clear(counts);
            Parallel.For(0, chunkCount, chunk =>
            {
                var (start, end) = ChunkRange(length, chunkCount, chunk);
                fixed (T* src = from)
                fixed (int* count = &counts[chunk * Buckets])
                    CountDigits<T, TKey>(src, start, end, count, s);
            });
            if (AllInOneBucket(counts, chunkCount, length)) continue;

            // Exclusive prefix sums, digit-major then chunk, turn counts into write positions.
            var running = 0;
            for (var digit = 0; digit < Buckets; digit++)
            {
                for (var chunk = 0; chunk < chunkCount; chunk++)
                {
                    ref var slot = ref counts[chunk * Buckets + digit];
                    var n = slot;
                    slot = running;
                    running += n;
                }
            }

            var to = target;
            Parallel.For(0, chunkCount, chunk =>
            {
                var (start, end) = ChunkRange(length, chunkCount, chunk);
                fixed (T* src = from)
                fixed (T* dst = to)
                fixed (int* position = &counts[chunk * Buckets])
                    Scatter<T, TKey>(src, dst, start, end, position, s);
            });
            (source, target) = (target, source);
        }
        return source;
    }

    // The hot loops run a handful of times per sort, too few for tiered compilation to reach its
    // optimised code, so they are compiled fully optimised at once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void CountDigits<T, TKey>(T* source, int start, int end, int* count, int shift)
        where T : unmanaged where TKey : struct, IRadixKey<T>
    {
        for (var i = start; i < end; i++) count[(TKey.Key(source[i]) >> shift) & DigitMask]++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Scatter<T, TKey>(T* source, T* target, int start, int end, int* position, int shift)
        where T : unmanaged where TKey : struct, IRadixKey<T>
    {
        for (var i = start; i < end; i++)
        {
            var item = source[i];
            target[position[(TKey.Key(item) >> shift) & DigitMask]++] = item;
        }
    }

    static bool AllInOneBucket(int[] counts, int chunkCount, int length)
    {
        for (var digit = 0; digit < Buckets; digit++)
        {
            var total = 0L;
            for (var chunk = 0; chunk < chunkCount; chunk++) total += counts[chunk * Buckets + digit];
            if (total == length) return true;
            if (total != 0) return false;
        }
        return false;
    }

    internal static (int Start, int End) ChunkRange(int length, int chunkCount, int chunk) =>
        ((int)((long)length * chunk / chunkCount), (int)((long)length * (chunk + 1) / chunkCount));
}
