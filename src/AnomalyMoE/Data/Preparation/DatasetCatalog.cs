using AnomalyMoE.Data.Download;
using AnomalyMoE.Runtime;

namespace AnomalyMoE.Data.Preparation;

/// <summary>Where a dataset's archive comes from. URLs are tried in order; the first that works is used.</summary>
public sealed record DatasetArchive(string FileName, IReadOnlyList<string> Urls, long? Size, FileChecksum? Checksum);

/// <summary>One benchmark the kit can prepare: its licence, its archive, and its converter.</summary>
public sealed record DatasetEntry(
    string Name, string Title, string Licence, string Homepage, DatasetArchive Archive, Func<IDatasetConverter> CreateConverter,
    string? ManualDownload = null)
{
    /// <summary>The notice printed before downloading.</summary>
    public string LicenceNotice =>
        $"{Title}\n  licence: {Licence}\n  homepage: {Homepage}\n  By downloading you accept these terms; cite the dataset's paper in work that uses it.";
}

/// <summary>
/// The benchmarks of the AnomalyMoE paper, one row each. Download links of MVTec's datasets have changed
/// before (they point at share links); when one fails, the error names it and says how to pass a
/// hand-fetched archive with <c>--from-archive</c>. Checksums and sizes are those published with anomalib's
/// dataset modules or recorded by users of the same archives.
/// </summary>
public static class DatasetCatalog
{
    public static IReadOnlyList<DatasetEntry> All { get; } =
    [
        new("mvtec-ad", "MVTec AD (Bergmann et al., CVPR 2019)", "CC BY-NC-SA 4.0 (non-commercial)",
            "https://www.mvtec.com/company/research/datasets/mvtec-ad",
            new("mvtec_anomaly_detection.tar.xz",
                ["https://www.mydrive.ch/shares/38536/3830184030e49fe74747669442f0f282/download/420938113-1629952094/mvtec_anomaly_detection.tar.xz"],
                5_264_982_680, FileChecksum.Sha256("cf4313b13603bec67abb49ca959488f7eedce2a9f7795ec54446c649ac98cd3d")),
            () => new MvtecAdConverter()),
        new("visa", "VisA, Visual Anomaly dataset (Zou et al., ECCV 2022)", "CC BY 4.0",
            "https://github.com/amazon-science/spot-diff",
            new("VisA_20220922.tar",
                ["https://amazon-visual-anomaly.s3.us-west-2.amazonaws.com/VisA_20220922.tar"],
                1_929_840_640, FileChecksum.Sha256("2eb8690c803ab37de0324772964100169ec8ba1fa3f7e94291c9ca673f40f362")),
            () => new VisaConverter()),
        new("mvtec-loco", "MVTec LOCO AD (Bergmann et al., IJCV 2022)", "CC BY-NC-SA 4.0 (non-commercial)",
            "https://www.mvtec.com/company/research/datasets/mvtec-loco",
            new("mvtec_loco_anomaly_detection.tar.xz",
                ["https://www.mydrive.ch/shares/48237/1b9106ccdfbb09a0c414bd49fe44a14a/download/430647091-1646842701/mvtec_loco_anomaly_detection.tar.xz"],
                6_126_996_224, FileChecksum.Sha256("9e7c84dba550fd2e59d8e9e231c929c45ba737b6b6a6d3814100f54d63aae687")),
            () => new MvtecLocoConverter()),
        new("mvtec-3d", "MVTec 3D-AD (Bergmann et al., VISAPP 2022)", "CC BY-NC-SA 4.0 (non-commercial)",
            "https://www.mvtec.com/company/research/datasets/mvtec-3d-ad",
            new("mvtec_3d_anomaly_detection.tar.xz",
                ["https://www.mydrive.ch/shares/45920/dd1eb345346df066c63b5c95676b961b/download/428824485-1643285832/mvtec_3d_anomaly_detection.tar.xz"],
                null, FileChecksum.Md5("d8bb2800fbf3ac88e798da6ae10dc819")),
            () => new Mvtec3dConverter()),
        new("bmad", "BMAD: BraTS2021 brain MRI, liver CT (BTCV + LiTS), RESC retinal OCT (Bao et al., CVPRW 2024)",
            "the terms of the source datasets (BraTS 2021, BTCV, LiTS, RESC) apply; research use",
            "https://github.com/DorisBao/BMAD",
            new("BMAD", [], null, null),
            () => new BmadConverter(),
            ManualDownload: "BMAD is shared as a Google Drive folder (see https://github.com/DorisBao/BMAD), which needs a browser. "
                            + "Download the Brain, Liver and Retina_RESC parts, unpack them into one folder (or zip them together), "
                            + "and pass it with --from-archive PATH."),
        new("ped2", "UCSD Anomaly Detection Dataset, Ped2 (Mahadevan et al., CVPR 2010)",
            "no licence stated by the authors; distributed by SVCL, UC San Diego for research use",
            "http://www.svcl.ucsd.edu/projects/anomaly/dataset.html",
            new("UCSD_Anomaly_Dataset.tar.gz",
                ["http://www.svcl.ucsd.edu/projects/anomaly/UCSD_Anomaly_Dataset.tar.gz"],
                740_306_953, FileChecksum.Sha256("2329af326951f5097fdd114c50e853957d3e569493a49d22fc082a9fd791915b")),
            () => new UcsdPed2Converter()),
    ];

    /// <summary>Looks up a dataset by name (case-insensitive; <c>_</c> and <c>-</c> are the same).</summary>
    public static DatasetEntry Find(string name)
    {
        var key = name.Trim().ToLowerInvariant().Replace('_', '-');
        return All.FirstOrDefault(d => d.Name == key)
               ?? throw new AnomalyMoEException($"Unknown dataset '{name}': expected one of {string.Join(", ", All.Select(d => d.Name))}.");
    }
}
