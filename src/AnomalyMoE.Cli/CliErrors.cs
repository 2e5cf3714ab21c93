using AnomalyMoE.Runtime;

namespace AnomalyMoE.Cli;

/// <summary>
/// Which exceptions are the user's to fix: the kit's own <see cref="AnomalyMoEException"/> (a bad value, path or file, named
/// where it is found; a missing native runtime is one too), and a file the user named that is missing or unreadable. Anything else is a
/// bug, reported as such.
/// </summary>
static class CliErrors
{
    public static bool IsUserError(Exception e) => e is AnomalyMoEException || IsBadUserFile(e);

    /// <summary>
    /// The file readers (PNG, TIFF, ONNX, torch.save, fixtures, archives) report a missing or damaged input with these .NET
    /// types and name the file in the message; .NET's own file APIs do the same. They are the user's input, not a bug.
    /// </summary>
    static bool IsBadUserFile(Exception e) => e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException;

    /// <summary>Ctrl-C during work that cannot save: not an error, but the work did not finish.</summary>
    public static bool IsCancellation(Exception e) => e is OperationCanceledException;

    public static string Describe(Exception e) => e.Message;

    /// <summary>The short message of an unexpected exception: what happened and where to report it, without the stack trace.</summary>
    public static string Unexpected(Exception e) =>
        $"internal error ({e.GetType().Name}): {e.Message}\nThis is a bug in amoe, not in your input; please report it with the command line you ran "
        + "(set AMOE_DEBUG=1 to print the stack trace).";
}
