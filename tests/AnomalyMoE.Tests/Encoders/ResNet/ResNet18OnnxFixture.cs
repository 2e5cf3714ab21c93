using AnomalyMoE.Encoders.ResNet;

namespace AnomalyMoE.Tests.Encoders.ResNet;

/// <summary>One converted CNTK ResNet18 shared by every test of the collection (conversion reads a 64 MB file).</summary>
public sealed class ResNet18OnnxFixture : IDisposable
{
    public CntkResNet18Backbone Backbone { get; } = CntkResNet18Backbone.Load();
    public string ModelPath { get; } = ResNet18OnnxFiles.ResolveModel();
    public string PreprocessPath { get; } = ResNet18OnnxFiles.ResolvePreprocess();

    public void Dispose() => Backbone.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ResNet18OnnxCollection : ICollectionFixture<ResNet18OnnxFixture>
{
    public const string Name = "ResNet18 ONNX";
}
