namespace AnomalyMoE.Evaluation;

/// <summary>
/// Maps float scores to unsigned keys whose integer order is the float order, so that scores can be
/// radix-sorted. -0 and +0 map to the same key because they are the same threshold (numpy ties them too).
/// </summary>
internal static class ScoreKeys
{
    const uint SignBit = 0x8000_0000u;

    public static uint ToKey(float score)
    {
        if (score == 0f) score = 0f;
        var bits = BitConverter.SingleToUInt32Bits(score);
        return (bits & SignBit) != 0 ? ~bits : bits | SignBit;
    }

    public static float ToScore(uint key) =>
        BitConverter.UInt32BitsToSingle((key & SignBit) != 0 ? key & ~SignBit : ~key);
}
