using AnomalyMoE.Data.Preparation;
using AnomalyMoE.Evaluation;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Evaluation;

public class DatasetMetricsKindTests
{
    static string Category(TempDirectory dir, string root, string category = "cat")
    {
        var folder = dir.Combine(root, category);
        Directory.CreateDirectory(Path.Combine(folder, "train", "good"));
        return folder;
    }

    static void Marker(TempDirectory dir, string root, string json) => File.WriteAllText(dir.Combine(root, DatasetPreparer.MarkerFile), json);

    [Fact]
    public void Prepared_datasets_are_recognised_by_the_marker_the_preparation_writes()
    {
        using var dir = new TempDirectory();
        var loco = DatasetSpecificFixtures.PrepareLoco(dir);
        var ped2 = DatasetSpecificFixtures.PreparePed2(dir);
        var (rgb, depth) = DatasetSpecificFixtures.PrepareMvtec3d(dir);
        var plain = DatasetSpecificFixtures.PrepareMvtecAd(dir);

        var found = new[] { (loco, "breakfast_box"), (ped2, "pedestrian"), (rgb, "bagel"), (depth, "bagel"), (plain, "bottle") }
            .Select(p => DatasetMetricsKinds.Recognise(Path.Combine(p.Item1, p.Item2))).ToList();

        Assert.Equal(
            [(DatasetMetricsKind.MvtecLoco, DatasetKindSignal.PreparationMarker), (DatasetMetricsKind.UcsdPed2, DatasetKindSignal.PreparationMarker),
             (DatasetMetricsKind.Mvtec3d, DatasetKindSignal.PreparationMarker), (DatasetMetricsKind.Mvtec3d, DatasetKindSignal.PreparationMarker),
             (DatasetMetricsKind.Standard, DatasetKindSignal.PreparationMarker)],
            found);
    }

    [Fact]
    public void The_marker_decides_even_when_the_folder_name_says_otherwise()
    {
        using var dir = new TempDirectory();
        var renamedPed2 = Category(dir, "my_videos");
        Marker(dir, "my_videos", """{"dataset": "ped2", "source": "x"}""");
        var visaNamedLikeLoco = Category(dir, "mvtec_loco");
        Marker(dir, "mvtec_loco", """{"dataset": "visa"}""");

        Assert.Equal((DatasetMetricsKind.UcsdPed2, DatasetKindSignal.PreparationMarker), DatasetMetricsKinds.Recognise(renamedPed2));
        Assert.Equal((DatasetMetricsKind.Standard, DatasetKindSignal.PreparationMarker), DatasetMetricsKinds.Recognise(visaNamedLikeLoco));
    }

    [Fact]
    public void Without_a_marker_a_defects_config_marks_a_loco_category()
    {
        using var dir = new TempDirectory();
        var folder = Category(dir, "hand_made");
        File.WriteAllText(Path.Combine(folder, "defects_config.json"), DatasetSpecificFixtures.LocoConfig);

        Assert.Equal((DatasetMetricsKind.MvtecLoco, DatasetKindSignal.LocoDefectsConfig), DatasetMetricsKinds.Recognise(folder));
    }

    [Theory]
    [InlineData("mvtec_loco", DatasetMetricsKind.MvtecLoco)]
    [InlineData("Ped2", DatasetMetricsKind.UcsdPed2)]
    [InlineData("mvtec_ad_3d", DatasetMetricsKind.Mvtec3d)]
    [InlineData("mvtec_ad_3d_depth", DatasetMetricsKind.Mvtec3d)]
    public void Without_a_marker_the_preparations_folder_name_decides(string root, DatasetMetricsKind kind)
    {
        using var dir = new TempDirectory();

        Assert.Equal((kind, DatasetKindSignal.FolderName), DatasetMetricsKinds.Recognise(Category(dir, root)));
    }

    [Theory]
    [InlineData("mvtec_ad")]
    [InlineData("synthetic")]
    [InlineData("mvtec_loco_copy")]
    public void Other_datasets_without_a_marker_get_only_the_common_metrics(string root)
    {
        using var dir = new TempDirectory();

        Assert.Equal((DatasetMetricsKind.Standard, DatasetKindSignal.None), DatasetMetricsKinds.Recognise(Category(dir, root)));
    }

    [Fact]
    public void A_damaged_marker_is_an_error_naming_it()
    {
        using var dir = new TempDirectory();
        var folder = Category(dir, "Ped2");
        Marker(dir, "Ped2", """{"source": "no dataset field"}""");

        var error = Assert.Throws<AnomalyMoEException>(() => DatasetMetricsKinds.Recognise(folder));

        Assert.Contains(dir.Combine("Ped2", DatasetPreparer.MarkerFile), error.Message);
    }

    [Fact]
    public void Each_recognised_marker_name_is_a_known_dataset_whose_output_folders_mean_the_same_kind()
    {
        foreach (var (name, kind) in DatasetMetricsKinds.ByPreparedDataset)
        {
            var entry = KnownDatasets.Find(name);
            Assert.Equal(name, entry.Name);
            Assert.All(entry.CreateConverter().OutputFolders, folder => Assert.Equal(kind, DatasetMetricsKinds.ByFolderName[folder]));
        }
        Assert.Equal(DatasetMetricsKinds.ByFolderName.Count, DatasetMetricsKinds.ByPreparedDataset.Keys.Sum(n => KnownDatasets.Find(n).CreateConverter().OutputFolders.Count));
    }
}
