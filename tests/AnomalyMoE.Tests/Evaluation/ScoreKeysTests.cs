using AnomalyMoE.Evaluation;

namespace AnomalyMoE.Tests.Evaluation;

public class ScoreKeysTests
{
    [Fact]
    public void Key_order_is_float_order_and_keys_map_back_to_their_scores()
    {
        var random = new Random(3);
        var values = new List<float> { float.NegativeInfinity, float.PositiveInfinity, float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon, 0f, 1f, -1f };
        for (var i = 0; i < 2000; i++) values.Add(BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue)));
        values.RemoveAll(float.IsNaN);

        for (var i = 0; i + 1 < values.Count; i++)
        {
            float a = values[i], b = values[i + 1];
            Assert.Equal(a.CompareTo(b), ScoreKeys.ToKey(a).CompareTo(ScoreKeys.ToKey(b)));
            Assert.Equal(a, ScoreKeys.ToScore(ScoreKeys.ToKey(a)));
        }
    }

    [Fact]
    public void Negative_and_positive_zero_share_one_key()
    {
        Assert.Equal(ScoreKeys.ToKey(0f), ScoreKeys.ToKey(-0f));
    }
}
