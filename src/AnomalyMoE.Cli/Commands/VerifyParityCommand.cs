using System.CommandLine;
using System.Globalization;
using AnomalyMoE.Parity;

namespace AnomalyMoE.Cli.Commands;

/// <summary>
/// <c>amoe verify-parity DIR</c>: re-runs an official parity fixture folder (model.pth, expected.pth, meta.json) and
/// prints one row per compared tensor (tensor, error, tolerance, pass). Exit code 1 when any tensor fails.
/// </summary>
public static class VerifyParityCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("DIR") { Description = "Fixture folder holding model.pth, expected.pth and meta.json (e.g. ../shared/fixtures/official-parity/seed0)." };
        var command = new Command("verify-parity", "Check this implementation tensor by tensor against the reference implementation's recorded outputs.")
        {
            directory,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var rows = OfficialParity.Verify(parse.GetValue(directory)!);
            int nameWidth = Math.Max("tensor".Length, rows.Max(r => r.Tensor.Length));
            output.WriteLine($"{"tensor".PadRight(nameWidth)}  {"measure",-8}  {"error",10}  {"tolerance",9}  pass");
            foreach (var r in rows)
            {
                var measure = r.Measure == ParityMeasure.Relative ? "relative" : "max abs";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Tensor.PadRight(nameWidth)}  {measure,-8}  {r.Error,10:0.000e+00}  {r.Tolerance,9:0e+00}  {(r.Pass ? "yes" : "NO")}"));
            }
            int failed = rows.Count(r => !r.Pass);
            output.WriteLine(failed == 0 ? $"parity: all {rows.Count} tensors within tolerance" : $"parity: {failed} of {rows.Count} tensors FAILED");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
