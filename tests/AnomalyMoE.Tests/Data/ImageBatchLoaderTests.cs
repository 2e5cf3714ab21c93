using AnomalyMoE.Data;
using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;
using AnomalyMoE.Tests.Support;
using TorchSharp;

namespace AnomalyMoE.Tests.Data;

public class ImageBatchLoaderTests
{
    static readonly ImageTransformOptions Tiny = new(8, 6, ImageNormalization.ImageNet);

    static DatasetCatalog WriteAndRead(TempDirectory dir, int train = 7, int perDefect = 2)
    {
        var root = dir.Combine("ds");
        DatasetFixture.WriteCategory(root, "bottle", train: train, testGood: 2, perDefect: perDefect, size: 10);
        return MvtecDatasetReader.Read(new DatasetSource(root));
    }

    static List<(string[] Paths, float[] Images, float[]? Jittered)> Collect(ImageBatchLoader loader, int maxBatches = int.MaxValue)
    {
        var result = new List<(string[], float[], float[]?)>();
        foreach (var batch in loader.Batches())
        {
            using (batch)
                result.Add((batch.Records.Select(r => r.Path).ToArray(), batch.Images.data<float>().ToArray(), batch.Jittered?.data<float>().ToArray()));
            if (result.Count >= maxBatches) break;
        }
        return result;
    }

    [Fact]
    public void Without_shuffle_batches_follow_record_order_and_the_last_one_is_partial()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir).Split(DatasetSplit.Train);
        var loader = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(3, WithJitter: false));

        var batches = Collect(loader);

        Assert.Equal([3, 3, 1], batches.Select(b => b.Paths.Length).ToArray());
        Assert.Equal(train.Select(r => r.Path), batches.SelectMany(b => b.Paths));
        Assert.All(batches, b => Assert.Null(b.Jittered));
        Assert.Equal(3, loader.BatchesPerEpoch);
    }

    [Fact]
    public void Batches_hold_float32_images_jittered_views_and_masks_of_the_right_shapes()
    {
        using var dir = new TempDirectory();
        var test = WriteAndRead(dir).Split(DatasetSplit.Test);
        var loader = new ImageBatchLoader(test, Tiny, new BatchLoaderOptions(4));

        using var batch = loader.Batches().First();

        Assert.Equal(new long[] { 4, 3, 6, 6 }, batch.Images.shape);
        Assert.Equal(new long[] { 4, 3, 6, 6 }, batch.Jittered!.shape);
        Assert.Equal(new long[] { 4, 1, 6, 6 }, batch.Masks.shape);
        Assert.Equal(torch.ScalarType.Float32, batch.Images.dtype);
        Assert.Equal(torch.ScalarType.Float32, batch.Masks.dtype);
    }

    [Fact]
    public void Masks_are_ones_on_the_annotated_region_of_anomalous_images_and_zeros_for_normal_ones()
    {
        using var dir = new TempDirectory();
        var test = WriteAndRead(dir).Split(DatasetSplit.Test);
        var loader = new ImageBatchLoader(test, new ImageTransformOptions(10, 10, ImageNormalization.ImageNet), new BatchLoaderOptions(8));

        using var batch = Assert.Single(loader.Batches());

        for (int i = 0; i < batch.Count; i++)
        {
            using var mask = batch.Masks[i];
            float expected = batch.Records[i].IsAnomalous ? 25f : 0f; // the fixture marks the 5x5 top-left quarter
            Assert.Equal(expected, mask.sum().item<float>());
            using var distinct = mask.unique().Item1;
            Assert.All(distinct.data<float>().ToArray(), v => Assert.True(v is 0f or 1f));
        }
        Assert.Equal(batch.Records.Select(r => r.Label), batch.Labels);
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches_and_jitter()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir).Split(DatasetSplit.Train);
        var options = new BatchLoaderOptions(3, Shuffle: true, Seed: 11, Endless: true, DecodeThreads: 2);

        var first = Collect(new ImageBatchLoader(train, Tiny, options), 6);
        var second = Collect(new ImageBatchLoader(train, Tiny, options), 6);

        Assert.Equal(first.Count, second.Count);
        for (int i = 0; i < first.Count; i++)
        {
            Assert.Equal(first[i].Paths, second[i].Paths);
            Assert.Equal(first[i].Images, second[i].Images);
            Assert.Equal(first[i].Jittered, second[i].Jittered);
        }
    }

    [Fact]
    public void A_different_seed_gives_a_different_order()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir, train: 12).Split(DatasetSplit.Train);

        var a = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(4, Shuffle: true, Seed: 1)).EpochOrder(0);
        var b = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(4, Shuffle: true, Seed: 2)).EpochOrder(0);

        Assert.NotEqual(a, b);
        Assert.Equal(Enumerable.Range(0, 12), a.Order());
    }

    [Fact]
    public void Shuffled_epochs_are_permutations_that_differ_between_epochs()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir, train: 12).Split(DatasetSplit.Train);
        var loader = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(4, Shuffle: true, Seed: 5));

        Assert.Equal(Enumerable.Range(0, 12), loader.EpochOrder(0).Order());
        Assert.Equal(Enumerable.Range(0, 12), loader.EpochOrder(1).Order());
        Assert.NotEqual(loader.EpochOrder(0), loader.EpochOrder(1));
    }

    [Fact]
    public void Jitter_differs_from_image_to_image_and_leaves_the_plain_view_unchanged()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle", train: 0);
        for (int i = 0; i < 6; i++) TestImages.WriteSolidPng(Path.Combine(folder, "train", "good", $"{i}.png"), 8, 8, 120, 80, 40);
        var train = MvtecDatasetReader.Read(new DatasetSource(root)).Split(DatasetSplit.Train);

        using var batch = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(6, Seed: 3)).Batches().First();

        var plain = batch.Images.data<float>().ToArray();
        var jittered = batch.Jittered!.data<float>().ToArray();
        int perImage = 3 * 6 * 6;
        Assert.All(Enumerable.Range(1, 5), i => Assert.Equal(plain[..perImage], plain[(i * perImage)..((i + 1) * perImage)]));
        var firstPixels = Enumerable.Range(0, 6).Select(i => jittered[i * perImage]).Distinct().Count();
        Assert.True(firstPixels > 1, "every image got the same jitter");
        Assert.NotEqual(plain, jittered);
    }

    [Fact]
    public void Endless_mode_keeps_producing_full_batches_across_epochs()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir, train: 5).Split(DatasetSplit.Train);
        var loader = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(2, Shuffle: true, Seed: 9, Endless: true, WithJitter: false));

        var batches = Collect(loader, 10);

        Assert.Equal(10, batches.Count);
        Assert.All(batches, b => Assert.Equal(2, b.Paths.Length));
        var stream = batches.SelectMany(b => b.Paths).ToList();
        for (int epoch = 0; epoch < 4; epoch++)
            Assert.Equal(train.Select(r => r.Path).Order(), stream.Skip(5 * epoch).Take(5).Order());
    }

    [Fact]
    public void Drop_last_leaves_out_the_partial_batch()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir).Split(DatasetSplit.Train);

        var batches = Collect(new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(3, DropLast: true, WithJitter: false)));

        Assert.Equal([3, 3], batches.Select(b => b.Paths.Length).ToArray());
    }

    [Fact]
    public void Stopping_early_ends_the_background_producer()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir).Split(DatasetSplit.Train);
        var loader = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(2, Endless: true, PrefetchBatches: 3));

        using (var enumerator = loader.Batches().GetEnumerator())
        {
            Assert.True(enumerator.MoveNext());
            enumerator.Current.Dispose();
        }

        // Enumerating again starts from the beginning.
        using var again = loader.Batches().First();
        Assert.Equal(train[0].Path, again.Records[0].Path);
    }

    [Fact]
    public void Cancellation_stops_an_endless_enumeration()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir).Split(DatasetSplit.Train);
        var loader = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(2, Endless: true));
        using var cancel = new CancellationTokenSource();
        int seen = 0;

        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var batch in loader.Batches(cancel.Token))
            {
                batch.Dispose();
                if (++seen == 3) cancel.Cancel();
            }
        });
        Assert.Equal(3, seen);
    }

    [Fact]
    public void An_image_that_fails_to_decode_is_an_error_naming_the_file()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir).Split(DatasetSplit.Train);
        File.WriteAllText(train[4].Path, "corrupted after the read");
        var loader = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(2));

        var e = Assert.Throws<ImageDecodeException>(() => Collect(loader));

        Assert.Contains(train[4].Path, e.Message);
    }

    [Fact]
    public void Unreadable_images_can_be_skipped_and_are_counted()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir).Split(DatasetSplit.Train);
        File.WriteAllText(train[1].Path, "corrupted");
        File.WriteAllText(train[5].Path, "corrupted");
        var loader = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(3, SkipUnreadableImages: true));

        var batches = Collect(loader);

        Assert.Equal(5, batches.Sum(b => b.Paths.Length));
        Assert.Equal(2, loader.SkippedCount);
        Assert.Equal(new[] { train[1].Path, train[5].Path }.Order(), loader.SkippedFiles.Keys.Order());
        Assert.Equal(5 * 3 * 36, batches.Sum(b => b.Images.Length));
    }

    [Fact]
    public void A_mask_of_another_size_is_an_error_naming_the_mask_and_its_image()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("ds");
        var folder = DatasetFixture.WriteCategory(root, "bottle", size: 10);
        var maskPath = TestImages.WriteMask(Path.Combine(folder, "ground_truth", "crack", "000_mask.png"), 5, 5, (_, _) => true);
        var test = MvtecDatasetReader.Read(new DatasetSource(root), new DatasetReadOptions(VerifyImages: false)).Split(DatasetSplit.Test);
        var image = test.Single(r => r.IsAnomalous).Path;

        var e = Assert.Throws<AnomalyMoEException>(() => Collect(new ImageBatchLoader(test, Tiny, new BatchLoaderOptions(8, DecodeThreads: 1))));

        Assert.Contains(maskPath, e.Message);
        Assert.Contains(image, e.Message);
        Assert.Contains("5x5", e.Message);
    }

    [Fact]
    public void A_batch_moved_to_a_device_owns_separate_tensors()
    {
        using var dir = new TempDirectory();
        var train = WriteAndRead(dir).Split(DatasetSplit.Train);
        var original = new ImageBatchLoader(train, Tiny, new BatchLoaderOptions(2)).Batches().First();

        var moved = original.To(torch.CPU);
        var expected = original.Images.data<float>().ToArray();
        original.Dispose();

        using (moved)
        {
            Assert.Equal(expected, moved.Images.data<float>().ToArray());
            Assert.Equal(original.Records, moved.Records);
        }
    }

    [Fact]
    public void Invalid_options_are_rejected_naming_the_value()
    {
        var e = Assert.Throws<AnomalyMoEException>(() => new BatchLoaderOptions(0).Validate());
        Assert.Contains("BatchSize", e.Message);
    }

    [Fact]
    public void Seeds_for_neighbouring_positions_differ()
    {
        var seeds = Enumerable.Range(0, 1000).Select(i => ImageBatchLoader.SeedFor(42, i, 2)).ToHashSet();
        Assert.True(seeds.Count > 990);
    }
}
