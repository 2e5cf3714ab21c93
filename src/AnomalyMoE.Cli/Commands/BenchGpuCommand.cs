using System.CommandLine;
using AnomalyMoE.Runtime;
using AnomalyMoE.Training;

namespace AnomalyMoE.Cli.Commands;

/// <summary>
/// <c>amoe bench gpu --out FILE.json [--device D] [--scale paper|fixture] [--fixture DIR] [--iters N] [--quiet]</c>: the
/// one-command device check (<see cref="GpuCheck"/>); writes its JSON to the file and prints it. Exit 1 when it did not pass.
/// </summary>
public static class BenchGpuCommand
{
    public static Command Create()
    {
        var device = CommandSupport.DeviceOption();
        var scale = new Option<string>("--scale") { Description = "paper (batch 8, 392 px, ViT-B/14; minutes on a GPU) or fixture (the parity fixture's model; seconds on a CPU)", DefaultValueFactory = _ => "paper" };
        var output = new Option<string>("--out") { Description = "JSON file to write", Required = true };
        var fixture = new Option<string>("--fixture") { Description = "parity fixture folder", DefaultValueFactory = _ => Path.Combine("..", "shared", "fixtures", "official-parity", "seed0") };
        var iters = new Option<int?>("--iters") { Description = "training iterations (default: 200 at paper scale, 10 at fixture scale)" };
        var quiet = CommandSupport.QuietOption();
        var command = new Command("gpu", "Check a device in one run: parity on it, the paper train step in fp32 and bf16 (medians, peak GPU memory), a short training whose loss must fall, encoder throughput; writes JSON.")
        {
            device, scale, output, fixture, iters, quiet,
        };
        command.SetAction(parse =>
        {
            var deviceChoice = CommandSupport.Device(parse, device);
            var scaleChoice = GpuCheckScales.Parse(parse.GetRequiredValue(scale));
            var result = CommandSupport.WithProgress(parse.GetValue(quiet), Console.Error,
                progress => GpuCheck.Run(parse.GetRequiredValue(fixture), deviceChoice, scaleChoice, parse.GetValue(iters), progress));
            GpuCheck.Write(result, parse.GetRequiredValue(output));
            parse.InvocationConfiguration.Output.WriteLine(result.ToJsonString());
            return result["passed"]?.GetValue<bool>() == true ? 0 : 1;
        });
        return command;
    }
}
