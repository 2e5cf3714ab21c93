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
        var bits = BitConverter.SingleToUInt32Bits(score);
        bits = bits == SignBit ? 0 : bits;
        // Branch-free (scores' signs are unpredictable): negative → all bits flipped, positive → sign bit set.
        return bits ^ ((uint)((int)bits >> 31) | SignBit);
    }

    public static float ToScore(uint key) =>
        BitConverter.UInt32BitsToSingle((key & SignBit) != 0 ? key & ~SignBit : ~key);
}
