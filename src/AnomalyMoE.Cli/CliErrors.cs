using AnomalyMoE.Runtime;

namespace AnomalyMoE.Cli;

/// <summary>Which exceptions are the user's to fix (bad path, value, file) rather than bugs.</summary>
static class CliErrors
{
    public static bool IsUserError(Exception e) => e is ArgumentException or FileNotFoundException or DirectoryNotFoundException
        or InvalidDataException or FormatException or NativeRuntimeException or InvalidOperationException or OperationCanceledException
        or IOException or AnomalyMoEException;

    public static string Describe(Exception e) => e switch
    {
        NativeRuntimeException n => n.Message,
        _ => e.Message,
    };
}
