using AnomalyMoE.Data;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Data;

public class MvtecDatasetReaderTests
{
    [Fact]
    public void Reads_every_split_with_defect_type_label_dataset_and_category()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("mvtec");
        DatasetFixture.WriteCategory(root, "bottle", train: 3, testGood: 2, defects: ["broken", "crack"], perDefect: 2, validation: true);

        var catalog = MvtecDatasetReader.Read(new DatasetSource(root));

        var category = Assert.Single(catalog.Categories);
        Assert.Equal("mvtec", category.Dataset);
        Assert.Equal("bottle", category.Category);
        Assert.True(category.HasPixelMasks);
        Assert.Equal(3, category.Train.Count());
        Assert.Single(category.Validation);
        Assert.Equal(6, category.Test.Count());
        Assert.All(category.Train, r => Assert.Equal(("good", false, (string?)null), (r.DefectType, r.IsAnomalous, r.MaskPath)));
        Assert.Equal(["broken", "broken", "crack", "crack", "good", "good"], category.Test.Select(r => r.DefectType).ToArray());
        Assert.Equal([1, 1, 1, 1, 0, 0], category.Test.Select(r => r.Label).ToArray());
        Assert.All(catalog.Records, r => Assert.Equal(("mvtec", "bottle"), (r.Dataset, r.Category)));
        Assert.All(catalog.Records, r => Assert.True(Path.IsPathFullyQualified(r.Path)));
        Assert.Empty(catalog.Warnings);
        Assert.Equal(0, catalog.SkippedCount);
    }

    [Fact]
    public void Masks_are_matched_by_file_stem_not_by_sort_order()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "cable", defects: [], perDefect: 0);
        TestImages.WriteSolidPng(Path.Combine(folder, "test", "cut", "a.png"), 8, 8);
        TestImages.WriteSolidPng(Path.Combine(folder, "test", "cut", "c.png"), 8, 8);
        TestImages.WriteSolidPng(Path.Combine(folder, "test", "cut", "d.png"), 8, 8);
        // An orphan mask sorts between a and c; pairing by order would give c the wrong mask.
        var maskA = TestImages.WriteMask(Path.Combine(folder, "ground_truth", "cut", "a_mask.png"), 8, 8, (x, _) => x == 0);
        TestImages.WriteMask(Path.Combine(folder, "ground_truth", "cut", "b_mask.png"), 8, 8, (x, _) => x == 1);
        var maskC = TestImages.WriteMask(Path.Combine(folder, "ground_truth", "cut", "c_mask.png"), 8, 8, (x, _) => x == 2);
        // The plain <stem>.png form is accepted too.
        var maskD = TestImages.WriteMask(Path.Combine(folder, "ground_truth", "cut", "d.png"), 8, 8, (x, _) => x == 3);

        var test = MvtecDatasetReader.Read(new DatasetSource(root)).Categories[0].Test.Where(r => r.IsAnomalous)
            .ToDictionary(r => Path.GetFileName(r.Path), r => r.MaskPath);

        Assert.Equal(Path.GetFullPath(maskA), test["a.png"]);
        Assert.Equal(Path.GetFullPath(maskC), test["c.png"]);
        Assert.Equal(Path.GetFullPath(maskD), test["d.png"]);
    }

    [Fact]
    public void Stem_mask_form_wins_over_plain_stem_form()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "cable");
        TestImages.WriteMask(Path.Combine(folder, "ground_truth", "crack", "000.png"), 8, 8, (_, _) => true);

        var record = MvtecDatasetReader.Read(new DatasetSource(root)).Categories[0].Test.Single(r => r.IsAnomalous);

        Assert.EndsWith("000_mask.png", record.MaskPath);
    }

    [Fact]
    public void A_folder_of_masks_per_image_is_accepted_as_in_mvtec_loco()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("loco");
        var folder = DatasetFixture.WriteCategory(root, "pushpins", defects: [], perDefect: 0);
        TestImages.WriteSolidPng(Path.Combine(folder, "test", "logical_anomalies", "000.png"), 8, 8);
        TestImages.WriteMask(Path.Combine(folder, "ground_truth", "logical_anomalies", "000", "000.png"), 8, 8, (x, _) => x == 0);
        TestImages.WriteMask(Path.Combine(folder, "ground_truth", "logical_anomalies", "000", "001.png"), 8, 8, (x, _) => x == 7);

        var record = MvtecDatasetReader.Read(new DatasetSource(root)).Categories[0].Test.Single(r => r.IsAnomalous);
        var mask = ImageDecoder.DecodeMask(record.MaskPath!);

        Assert.True(Directory.Exists(record.MaskPath));
        Assert.Equal(16, mask.Pixels.Count(p => p == 1));
        Assert.Equal(1, mask.Pixels[0]);
        Assert.Equal(1, mask.Pixels[7]);
    }

    [Fact]
    public void Categories_are_discovered_in_ordinal_order_and_other_folders_are_ignored()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        DatasetFixture.WriteCategory(root, "zipper");
        DatasetFixture.WriteCategory(root, "bottle");
        Directory.CreateDirectory(Path.Combine(root, "license_docs"));
        File.WriteAllText(Path.Combine(root, "readme.txt"), "not a category");

        Assert.Equal(["bottle", "zipper"], MvtecDatasetReader.DiscoverCategories(root).ToArray());
        Assert.Equal(["bottle", "zipper"], MvtecDatasetReader.Read(new DatasetSource(root)).Categories.Select(c => c.Category).ToArray());
    }

    [Fact]
    public void Categories_can_be_chosen_by_name()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        DatasetFixture.WriteCategory(root, "bottle");
        DatasetFixture.WriteCategory(root, "zipper");

        var catalog = MvtecDatasetReader.Read(new DatasetSource(root, Categories: ["zipper"]));

        Assert.Equal("zipper", Assert.Single(catalog.Categories).Category);
    }

    [Fact]
    public void Unknown_category_name_error_lists_the_available_ones()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        DatasetFixture.WriteCategory(root, "bottle");
        DatasetFixture.WriteCategory(root, "zipper");

        var e = Assert.Throws<AnomalyMoEException>(() => MvtecDatasetReader.Read(new DatasetSource(root, Categories: ["botle"])));

        Assert.Contains("'botle'", e.Message);
        Assert.Contains("bottle, zipper", e.Message);
    }

    [Fact]
    public void Several_roots_are_read_together_with_their_dataset_names()
    {
        using var dir = new TempDirectory();
        DatasetFixture.WriteCategory(dir.Combine("mvtec_ad"), "bottle");
        DatasetFixture.WriteCategory(dir.Combine("visa_root"), "candle");
        DatasetFixture.WriteCategory(dir.Combine("visa_root"), "pcb1");

        var catalog = MvtecDatasetReader.Read([
            new DatasetSource(dir.Combine("mvtec_ad")),
            new DatasetSource(dir.Combine("visa_root"), Name: "VisA", Categories: ["pcb1"]),
        ]);

        Assert.Equal(["mvtec_ad/bottle", "VisA/pcb1"], catalog.Categories.Select(c => c.Key).ToArray());
        Assert.All(catalog.Split(DatasetSplit.Train).Where(r => r.Category == "pcb1"), r => Assert.Equal("VisA", r.Dataset));
        Assert.Equal(6, catalog.Split(DatasetSplit.Train).Count);
    }

    [Fact]
    public void Missing_root_error_names_the_folder()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => MvtecDatasetReader.Read(new DatasetSource("/nonexistent/mvtec_ad")));
        Assert.Contains("/nonexistent/mvtec_ad", e.Message);
    }

    [Fact]
    public void Missing_train_good_error_names_the_folder()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle");
        Directory.Delete(Path.Combine(folder, "train", "good"), recursive: true);
        Directory.CreateDirectory(Path.Combine(folder, "train", "normal"));

        var e = Assert.Throws<AnomalyMoEException>(() => MvtecDatasetReader.Read(new DatasetSource(root)));

        Assert.Contains(Path.Combine(folder, "train", "good"), e.Message);
    }

    [Fact]
    public void Missing_test_folder_error_names_the_folder()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle");
        Directory.Delete(Path.Combine(folder, "test"), recursive: true);

        var e = Assert.Throws<AnomalyMoEException>(() => MvtecDatasetReader.Read(new DatasetSource(root)));

        Assert.Contains(Path.Combine(folder, "test"), e.Message);
    }

    [Fact]
    public void Empty_train_good_error_names_the_folder()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle", train: 0);
        Directory.CreateDirectory(Path.Combine(folder, "train", "good"));
        File.WriteAllText(Path.Combine(folder, "train", "good", "notes.txt"), "no images here");

        var e = Assert.Throws<AnomalyMoEException>(() => MvtecDatasetReader.Read(new DatasetSource(root)));

        Assert.Contains(Path.Combine(folder, "train", "good"), e.Message);
        Assert.Contains("no readable images", e.Message);
    }

    [Fact]
    public void Anomalous_image_without_mask_is_an_error_naming_the_image_when_ground_truth_exists()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle");
        var orphan = TestImages.WriteSolidPng(Path.Combine(folder, "test", "crack", "007.png"), 8, 8);

        var e = Assert.Throws<AnomalyMoEException>(() => MvtecDatasetReader.Read(new DatasetSource(root)));

        Assert.Contains(Path.GetFullPath(orphan), e.Message);
        Assert.Contains("007_mask.png", e.Message);
    }

    [Fact]
    public void Category_without_ground_truth_folder_is_image_level_only()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        DatasetFixture.WriteCategory(root, "brain", groundTruth: false, perDefect: 2);

        var category = MvtecDatasetReader.Read(new DatasetSource(root)).Categories[0];

        Assert.False(category.HasPixelMasks);
        Assert.Equal(2, category.Test.Count(r => r.IsAnomalous));
        Assert.All(category.Records, r => Assert.Null(r.MaskPath));
    }

    [Fact]
    public void Corrupt_image_is_an_error_naming_the_file_by_default()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle");
        var bad = Path.Combine(folder, "train", "good", "999.png");
        File.WriteAllBytes(bad, [1, 2, 3, 4, 5, 6, 7, 8, 9]);

        var e = Assert.Throws<ImageDecodeException>(() => MvtecDatasetReader.Read(new DatasetSource(root)));

        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void Corrupt_images_can_be_skipped_and_are_counted()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle", train: 3);
        var bad1 = Path.Combine(folder, "train", "good", "998.png");
        var bad2 = Path.Combine(folder, "test", "good", "999.jpg");
        File.WriteAllText(bad1, "garbage");
        File.WriteAllText(bad2, "garbage");

        var catalog = MvtecDatasetReader.Read(new DatasetSource(root), DatasetReadOptions.Lenient);

        Assert.Equal(2, catalog.SkippedCount);
        Assert.Equal(new[] { bad1, bad2 }.Order(), catalog.SkippedFiles.Order());
        Assert.Equal(3, catalog.Split(DatasetSplit.Train).Count);
        Assert.DoesNotContain(catalog.Records, r => r.Path == bad1 || r.Path == bad2);
    }

    [Fact]
    public void Mask_with_a_different_size_is_an_error_naming_the_mask_and_its_image()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle", size: 8);
        var mask = TestImages.WriteMask(Path.Combine(folder, "ground_truth", "crack", "000_mask.png"), 4, 6, (_, _) => true);

        var e = Assert.Throws<AnomalyMoEException>(() => MvtecDatasetReader.Read(new DatasetSource(root)));

        Assert.Contains(mask, e.Message);
        Assert.Contains(Path.Combine(folder, "test", "crack", "000.png"), e.Message);
        Assert.Contains("4x6", e.Message);
        Assert.Contains("8x8", e.Message);
    }

    [Fact]
    public void Non_image_files_and_hidden_files_are_ignored()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle", train: 2);
        File.WriteAllText(Path.Combine(folder, "train", "good", "notes.txt"), "text");
        File.WriteAllText(Path.Combine(folder, "train", "good", "Thumbs.db"), "junk");
        File.WriteAllText(Path.Combine(folder, "train", "good", "._000.png"), "macOS resource fork");
        File.WriteAllText(Path.Combine(folder, "test", "good", "image.tiff.txt"), "text");

        var catalog = MvtecDatasetReader.Read(new DatasetSource(root));

        Assert.Equal(2, catalog.Split(DatasetSplit.Train).Count);
        Assert.Empty(catalog.Warnings);
        Assert.Equal(0, catalog.SkippedCount);
    }

    [Fact]
    public void Jpeg_and_bmp_files_in_any_extension_case_are_listed()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle", train: 1);
        TestImages.WriteJpeg(Path.Combine(folder, "train", "good", "a.JPG"), 8, 8, (_, _) => (1, 2, 3));
        TestImages.WriteJpeg(Path.Combine(folder, "train", "good", "b.jpeg"), 8, 8, (_, _) => (1, 2, 3));
        TestImages.WriteJpeg(Path.Combine(folder, "train", "good", "c.jpg"), 8, 8, (_, _) => (1, 2, 3));
        TestImages.WriteBmp(Path.Combine(folder, "train", "good", "d.bmp"), 8, 8, (_, _) => (1, 2, 3));
        TestImages.WriteBmp(Path.Combine(folder, "train", "good", "e.BMP"), 8, 8, (_, _) => (1, 2, 3));

        var names = MvtecDatasetReader.Read(new DatasetSource(root)).Split(DatasetSplit.Train).Select(r => Path.GetFileName(r.Path));

        Assert.Equal(["000.png", "a.JPG", "b.jpeg", "c.jpg", "d.bmp", "e.BMP"], names.ToArray());
    }

    [Fact]
    public void Metadata_in_the_parent_of_the_root_fills_levels_as_the_synthetic_generator_writes_them()
    {
        using var dir = new TempDirectory();
        var output = dir.Combine("synthetic");
        var root = Path.Combine(output, "shapes");
        DatasetFixture.WriteCategory(root, "discs", train: 1, testGood: 1, defects: ["missing_part", "wrong_count"]);
        File.WriteAllLines(Path.Combine(output, "metadata.csv"), [
            "path,family,category,split,label,level,anomaly_type",
            "shapes/discs/train/good/000.png,shapes,discs,train,0,none,",
            "shapes/discs/test/missing_part/000.png,shapes,discs,test,1,component,missing_part",
            "\"shapes/discs/test/wrong_count/000.png\",shapes,discs,test,1,logical,\"count, off by one\"",
        ]);

        var records = MvtecDatasetReader.Read(new DatasetSource(root)).Records.ToDictionary(r => Path.GetRelativePath(output, r.Path).Replace('\\', '/'), r => r.Level);

        Assert.Equal("none", records["shapes/discs/train/good/000.png"]);
        Assert.Equal("component", records["shapes/discs/test/missing_part/000.png"]);
        Assert.Equal("logical", records["shapes/discs/test/wrong_count/000.png"]);
        Assert.Null(records["shapes/discs/test/good/000.png"]);
    }

    [Fact]
    public void Metadata_in_the_root_itself_is_used()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        DatasetFixture.WriteCategory(root, "bottle");
        File.WriteAllLines(Path.Combine(root, "metadata.csv"), ["path,level", "bottle/test/crack/000.png,structural"]);

        var record = MvtecDatasetReader.Read(new DatasetSource(root)).Records.Single(r => r.IsAnomalous);

        Assert.Equal(AnomalyLevels.Structural, record.Level);
    }

    [Fact]
    public void Without_metadata_levels_stay_null()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        DatasetFixture.WriteCategory(root, "bottle");

        Assert.All(MvtecDatasetReader.Read(new DatasetSource(root)).Records, r => Assert.Null(r.Level));
    }

    [Fact]
    public void Unknown_metadata_level_error_names_the_file_and_line()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        DatasetFixture.WriteCategory(root, "bottle");
        var csv = Path.Combine(root, "metadata.csv");
        File.WriteAllLines(csv, ["path,level", "bottle/train/good/000.png,none", "bottle/test/crack/000.png,semantic"]);

        var e = Assert.Throws<AnomalyMoEException>(() => MvtecDatasetReader.Read(new DatasetSource(root)));

        Assert.Contains(csv, e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("'semantic'", e.Message);
    }

    [Fact]
    public void Reading_the_same_category_twice_under_one_name_is_an_error()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        DatasetFixture.WriteCategory(root, "bottle");

        var e = Assert.Throws<AnomalyMoEException>(() => MvtecDatasetReader.Read([new DatasetSource(root), new DatasetSource(root)]));

        Assert.Contains("ds/bottle", e.Message);
    }
}
