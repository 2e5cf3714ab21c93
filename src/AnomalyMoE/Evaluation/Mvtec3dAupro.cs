namespace AnomalyMoE.Evaluation;

/// <summary>
/// MVTec 3D-AD's localisation protocol: AUPRO integrated up to a false-positive rate of 0.3 (the usual number)
/// and of 0.01 (the stricter one the MVTec 3D-AD paper also reports), each normalised by its limit. Both
/// datasets the converter writes (<c>mvtec_ad_3d</c> RGB and <c>mvtec_ad_3d_depth</c>) are scored this way with
/// the kit's configurable-limit AUPRO, once per limit below.
/// </summary>
public static class Mvtec3dAupro
{
    public static IReadOnlyList<double> FprLimits { get; } = [0.3, 0.01];
}
