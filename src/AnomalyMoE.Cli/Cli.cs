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
        root.Subcommands.Add(Commands.TrainCommand.Create());
        root.Subcommands.Add(Commands.TestCommand.Create());
        root.Subcommands.Add(Commands.PredictCommand.Create());
        root.Subcommands.Add(Commands.AblateCommand.Create());
        root.Subcommands.Add(Commands.QuickstartCommand.Create());
        return root;
    }

    /// <summary>
    /// Runs a command line. A user error prints one clear line and exits with code 2; an interruption exits with 130; any
    /// other exception is a bug: a short message asks for a report and the exit code is 1.
    /// </summary>
    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var error = stderr ?? Console.Error;
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        return Guarded(() => BuildRoot().Parse(args).Invoke(config), error);
    }

    /// <summary>Runs one command and turns what it throws into a message and an exit code, as <see cref="Run"/> describes.</summary>
    internal static int Guarded(Func<int> command, TextWriter error)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (CliErrors.IsUserError(e))
        {
            error.WriteLine($"error: {CliErrors.Describe(e)}");
            return 2;
        }
        catch (Exception e) when (CliErrors.IsCancellation(e))
        {
            error.WriteLine("interrupted");
            return 130;
        }
        catch (Exception e)
        {
            error.WriteLine($"error: {CliErrors.Unexpected(e)}");
            if (Environment.GetEnvironmentVariable("AMOE_DEBUG") == "1") error.WriteLine(e);
            return 1;
        }
    }
}
