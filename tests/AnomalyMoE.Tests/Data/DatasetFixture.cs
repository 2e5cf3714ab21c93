namespace AnomalyMoE.Tests.Data;

/// <summary>Builds tiny MVTec-layout categories on disk.</summary>
public static class DatasetFixture
{
    /// <summary>
    /// Writes <c>root/category</c> with <paramref name="train"/> normal training images, <paramref name="testGood"/> normal
    /// test images and <paramref name="perDefect"/> images per defect type; with <paramref name="groundTruth"/> each anomalous
    /// image gets <c>ground_truth/defect/stem_mask.png</c> marking its top-left quarter. Images are solid PNGs whose red
    /// channel encodes their index, so tests can tell them apart.
    /// </summary>
    public static string WriteCategory(string root, string category, int train = 3, int testGood = 1, string[]? defects = null,
        int perDefect = 1, bool groundTruth = true, int size = 8, bool validation = false)
    {
        var folder = Path.Combine(root, category);
        int index = 0;
        for (int i = 0; i < train; i++)
            TestImages.WriteSolidPng(Path.Combine(folder, "train", "good", $"{i:000}.png"), size, size, (byte)(10 * index++ % 256));
        if (validation) TestImages.WriteSolidPng(Path.Combine(folder, "validation", "good", "000.png"), size, size, (byte)(10 * index++ % 256));
        for (int i = 0; i < testGood; i++)
            TestImages.WriteSolidPng(Path.Combine(folder, "test", "good", $"{i:000}.png"), size, size, (byte)(10 * index++ % 256));
        Directory.CreateDirectory(Path.Combine(folder, "test"));
        if (groundTruth) Directory.CreateDirectory(Path.Combine(folder, "ground_truth"));
        foreach (var defect in defects ?? ["crack"])
        {
            for (int i = 0; i < perDefect; i++)
            {
                TestImages.WriteSolidPng(Path.Combine(folder, "test", defect, $"{i:000}.png"), size, size, (byte)(10 * index++ % 256));
                if (groundTruth)
                    TestImages.WriteMask(Path.Combine(folder, "ground_truth", defect, $"{i:000}_mask.png"), size, size, (x, y) => x < size / 2 && y < size / 2);
            }
        }
        return folder;
    }
}
