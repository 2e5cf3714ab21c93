using AnomalyMoE.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Support;

/// <summary>
/// The seed0 fixture's encoder token maps as an <see cref="EncoderOutput"/>, so the model can be checked without
/// running an encoder: taps <c>out.encoder.block2..9</c>, class token of <c>block9</c> (the last block, no final norm).
/// </summary>
public static class FixtureTokens
{
    public const int PrefixTokens = 5;   // class token + 4 registers
    public const int Grid = 28;          // 392 px / 14
    public static readonly int[] Taps = [2, 3, 4, 5, 6, 7, 8, 9];

    /// <summary>A fresh <see cref="EncoderOutput"/> (copies; the caller disposes it) of the student view.</summary>
    public static EncoderOutput StudentView()
    {
        var layers = Taps.Select(i => Seed0Tensors.Expected[$"out.encoder.block{i}"].clone()).ToArray();
        var last = Seed0Tensors.Expected["out.encoder.block9"];
        return new EncoderOutput(layers, last[.., 0].clone(), Grid, Grid);
    }

    /// <summary>The component masks of the two fixture images.</summary>
    public static IReadOnlyList<Tensor> Masks() => [Seed0Tensors.Expected["input.masks0"], Seed0Tensors.Expected["input.masks1"]];
}
