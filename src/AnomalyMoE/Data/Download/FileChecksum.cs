using AnomalyMoE.Runtime;
using System.Security.Cryptography;

namespace AnomalyMoE.Data.Download;

/// <summary>An expected digest of a file: algorithm (<c>sha256</c> or <c>md5</c>) and lower-case hex.</summary>
public sealed record FileChecksum(string Algorithm, string Hex)
{
    public static FileChecksum Sha256(string hex) => new("sha256", hex.Trim().ToLowerInvariant());

    /// <summary>Only where the publisher gives nothing stronger (anomalib's MVTec 3D-AD entry).</summary>
    public static FileChecksum Md5(string hex) => new("md5", hex.Trim().ToLowerInvariant());

    /// <summary>Computes this checksum's algorithm over a file.</summary>
    public string ComputeFor(string path, IProgress<Runtime.ProgressUpdate>? progress = null) =>
        Compute(path, Algorithm, progress);

    /// <summary>Hex digest of a file; reports progress every 64 MiB for multi-gigabyte archives.</summary>
    public static string Compute(string path, string algorithm = "sha256", IProgress<Runtime.ProgressUpdate>? progress = null)
    {
        using HashAlgorithm hash = algorithm switch
        {
            "sha256" => SHA256.Create(),
            "md5" => MD5.Create(),
            _ => throw new AnomalyMoEException($"Unknown checksum algorithm '{algorithm}': expected sha256 or md5."),
        };
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var buffer = new byte[1 << 20];
        long done = 0, total = stream.Length, nextReport = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            hash.TransformBlock(buffer, 0, read, null, 0);
            done += read;
            if (done >= nextReport)
            {
                Runtime.ProgressExtensions.Report(progress, $"checksum {Path.GetFileName(path)}", done, total);
                nextReport = done + (64L << 20);
            }
        }
        hash.TransformFinalBlock([], 0, 0);
        return Convert.ToHexStringLower(hash.Hash!);
    }
}
