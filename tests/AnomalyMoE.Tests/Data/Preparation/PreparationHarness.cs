using AnomalyMoE.Data.Download;
using AnomalyMoE.Data.Preparation;

namespace AnomalyMoE.Tests.Data.Preparation;

/// <summary>Runs the whole preparation (extraction, conversion, marker, rename) on a fabricated archive or folder.</summary>
static class PreparationHarness
{
    public static PrepareResult Prepare(string dataset, string root, string fromArchive, StringWriter? log = null, bool keepExtracted = false) =>
        new DatasetPreparer(new ResumableDownloader(), log ?? new StringWriter())
            .PrepareAsync(new PrepareRequest(dataset, root, fromArchive, KeepExtracted: keepExtracted)).GetAwaiter().GetResult();
}
