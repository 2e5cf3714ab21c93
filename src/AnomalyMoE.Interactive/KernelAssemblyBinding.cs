using System.Reflection;
using System.Runtime.Loader;

namespace AnomalyMoE.Interactive;

/// <summary>
/// Binds a request for an assembly the kernel has already loaded at another minor version to the loaded one. The kernel
/// ships its own FSharp.Core (10.0) and cannot load a second copy of it, while Plotly.NET 6 was compiled against FSharp.Core
/// 10.1; without this, every chart fails with "Could not load file or assembly 'FSharp.Core, Version=10.1.0.0'".
/// </summary>
public static class KernelAssemblyBinding
{
    static int installed;

    /// <summary>Hooks the default load context's fallback. Safe to call more than once.</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += (_, requested) => FindLoaded(requested, AppDomain.CurrentDomain.GetAssemblies());
    }

    /// <summary>
    /// Among <paramref name="loaded"/>, the highest version of the same name, public key token and major version as
    /// <paramref name="requested"/>; null when there is none (the request then fails as it would have).
    /// </summary>
    public static Assembly? FindLoaded(AssemblyName requested, IEnumerable<Assembly> loaded)
    {
        if (requested.Name is null || requested.Version is null) return null;
        var token = requested.GetPublicKeyToken() ?? [];
        return loaded
            .Select(a => (Assembly: a, Name: a.GetName()))
            .Where(a => string.Equals(a.Name.Name, requested.Name, StringComparison.OrdinalIgnoreCase)
                && a.Name.Version?.Major == requested.Version.Major
                && (a.Name.GetPublicKeyToken() ?? []).AsSpan().SequenceEqual(token))
            .OrderByDescending(a => a.Name.Version)
            .Select(a => a.Assembly)
            .FirstOrDefault();
    }
}
