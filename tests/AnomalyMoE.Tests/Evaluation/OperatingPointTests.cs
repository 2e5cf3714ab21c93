using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Tests.Evaluation;

public class OperatingPointTests
{
    [Fact]
    public void Sensitivity_is_read_at_the_lowest_threshold_that_keeps_the_specificity()
    {
        // Ten normals 0.0…0.9: 95 % specificity needs all ten at or below the threshold, 80 % needs eight (threshold 0.7).
        var normals = Enumerable.Range(0, 10).Select(i => i / 10f).ToList();
        float[] anomalies = [0.75f, 0.95f, 0.5f, 1.2f];
        var scores = normals.Concat(anomalies).ToList();
        var labels = normals.Select(_ => 0).Concat(anomalies.Select(_ => 1)).ToList();
        var strict = OperatingPoint.AtSpecificity(scores, labels, 0.95);
        Assert.Equal(0.9, strict.Threshold, 6);
        Assert.Equal(0.5, strict.Sensitivity);
        Assert.Equal(1.0, strict.Specificity);
        var loose = OperatingPoint.AtSpecificity(scores, labels, 0.8);
        Assert.Equal(0.7, loose.Threshold, 6);
        Assert.Equal(0.75, loose.Sensitivity);
        Assert.Equal(0.8, loose.Specificity, 6);
    }

    [Fact]
    public void One_class_only_is_rejected()
    {
        Assert.Throws<AnomalyMoEException>(() => OperatingPoint.AtSpecificity([0.1f, 0.2f], [0, 0]));
    }
}
