namespace AnomalyMoE.Tests.Support;

/// <summary>
/// Locates the read-only <c>shared/</c> folder that sits beside the project's root
/// (<c>../shared</c>); <c>ANOMALYMOE_SHARED</c> overrides it.
/// </summary>
public static class SharedFixtures
{
    static readonly Lazy<string> RootPath = new(Locate);

    public static string Root => RootPath.Value;
    public static string OfficialParity => Path.Combine(Root, "fixtures", "official-parity");
    public static string Seed0 => Path.Combine(OfficialParity, "seed0");
    public static string PaperKeys => Path.Combine(OfficialParity, "paper_keys.json");

    static string Locate()
    {
        var env = Environment.GetEnvironmentVariable("ANOMALYMOE_SHARED");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared"), Path.Combine(dir.FullName, "..", "shared") })
            {
                if (Directory.Exists(Path.Combine(candidate, "fixtures", "official-parity")))
                    return Path.GetFullPath(candidate);
            }
        }
        throw new DirectoryNotFoundException(
            "The shared fixtures folder (../shared/fixtures/official-parity beside the project root) was not found; set ANOMALYMOE_SHARED.");
    }
}
