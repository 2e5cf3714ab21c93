using System.CommandLine;

namespace AnomalyMoE.Cli;

/// <summary>The <c>amoe</c> command line: one file per verb under <c>Commands/</c>.</summary>
public static class Cli
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("amoe — AnomalyMoE research kit: synthesise data, train, evaluate, verify and benchmark.");
        // One line per verb; each verb lives in Commands/<Verb>Command.cs.
        root.Subcommands.Add(Commands.DataCommand.Create());
        root.Subcommands.Add(Commands.MetricsCommand.Create());
        root.Subcommands.Add(Commands.BenchCommand.Create());
        root.Subcommands.Add(Commands.SynthCommand.Create());
        root.Subcommands.Add(Commands.VerifyParityCommand.Create());
        return root;
    }

    /// <summary>Runs a command line; known user errors print one clear line and exit with code 2.</summary>
    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var error = stderr ?? Console.Error;
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return BuildRoot().Parse(args).Invoke(config);
        }
        catch (Exception e) when (CliErrors.IsUserError(e))
        {
            error.WriteLine($"error: {CliErrors.Describe(e)}");
            return 2;
        }
    }
}
