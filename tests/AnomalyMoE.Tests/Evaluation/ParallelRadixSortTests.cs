using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Tests.Evaluation;

public class ParallelRadixSortTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(70_000)]
    [InlineData(400_003)]
    public void Sorts_uint_keys_like_Array_Sort(int n)
    {
        var random = new Random(n);
        var keys = Enumerable.Range(0, n).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray();
        var expected = keys.Order().ToArray();

        var sorted = ParallelRadixSort.Sort<uint, UIntKey>(keys, new uint[n]);

        Assert.Equal(expected, sorted);
    }

    [Fact]
    public void Sorts_ulong_items_by_their_high_half_and_keeps_payloads_in_input_order_within_a_key()
    {
        const int n = 300_000;
        var random = new Random(5);
        // Few distinct keys (sharing their low digits, so some passes are skipped); the payload is the input position.
        var items = Enumerable.Range(0, n).Select(i => ((ulong)(uint)(random.Next(50) << 20) << 32) | (uint)i).ToArray();
        var expected = items.OrderBy(i => i >> 32).ToArray();

        var sorted = ParallelRadixSort.Sort<ulong, HighKey>(items, new ulong[n]);

        Assert.Equal(expected, sorted);
    }
}
