using AnomalyMoE.Tests.Support;

namespace AnomalyMoE.Tests.Cli;

public class DataCommandTests
{
    [Fact]
    public void Preparing_bmad_without_a_local_copy_exits_2_with_the_manual_download_note()
    {
        using var dir = new TempDirectory();
        var output = new StringWriter();
        var error = new StringWriter();

        int code = AnomalyMoE.Cli.Cli.Run(["data", "prepare", "bmad", "--root", dir.Path, "--yes"], output, error);

        Assert.Equal(2, code);
        Assert.Contains("--from-archive", error.ToString());
    }

    [Fact]
    public void Preparing_from_a_folder_prints_the_counts()
    {
        using var dir = new TempDirectory();
        var source = dir.Combine("mvtec");
        Data.MiniFiles.ColorImage(Path.Combine(source, "wood", "train", "good", "000.png"), 4, 4, SkiaSharp.SKColors.Brown);
        Data.MiniFiles.ColorImage(Path.Combine(source, "wood", "test", "good", "000.png"), 4, 4, SkiaSharp.SKColors.Brown);
        var output = new StringWriter();

        int code = AnomalyMoE.Cli.Cli.Run(["data", "prepare", "mvtec-ad", "--root", dir.Combine("data"), "--from-archive", source], output, new StringWriter());

        Assert.Equal(0, code);
        Assert.Contains("total: 2 images, 0 masks", output.ToString());
    }

    [Fact]
    public void An_unknown_dataset_exits_2_naming_the_known_ones()
    {
        using var dir = new TempDirectory();
        var error = new StringWriter();

        int code = AnomalyMoE.Cli.Cli.Run(["data", "prepare", "imagenet", "--root", dir.Path], new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains("mvtec-loco", error.ToString());
    }

    [Fact]
    public void Without_accepting_the_licence_nothing_is_downloaded()
    {
        using var dir = new TempDirectory();
        var output = new StringWriter();
        var error = new StringWriter();

        // Standard input is redirected under the test runner, so no question can be asked.
        int code = AnomalyMoE.Cli.Cli.Run(["data", "prepare", "visa", "--root", dir.Path], output, error);

        Assert.Equal(2, code);
        Assert.Contains("CC BY 4.0", output.ToString());
        Assert.Contains("--yes", error.ToString());
        Assert.False(File.Exists(Path.Combine(dir.Path, ".downloads", "VisA_20220922.tar.part")));
    }
}
