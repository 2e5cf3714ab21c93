using AnomalyMoE.Objectives;
using AnomalyMoE.Training;
using static TorchSharp.torch;

namespace AnomalyMoE.Tests.Objectives;

public class AnomalyMoELossTermsTests
{
    [Fact]
    public void Term_values_are_keyed_as_losses_csv_names_its_columns_and_left_out_when_switched_off()
    {
        using var terms = new AnomalyMoELossTerms(tensor(6f), tensor(5f), tensor(3f), tensor(1.5f), tensor(0.5f), tensor(0.25f), null);

        var values = terms.Values();

        Assert.Equal(["total", "reconstruction", "patch", "global", "component", "esb"], values.Keys);
        Assert.All(values.Keys, k => Assert.Contains(k, AnomalyMoETrainer.LossComponents));
        Assert.Equal([6, 5, 3, 1.5, 0.5, 0.25], values.Values);
    }
}
