namespace AnomalyMoE.Interactive.Rendering;

/// <summary>A displayable PNG (the notebook shows it inline; <see cref="Save"/> keeps it).</summary>
public sealed record PngImage(byte[] Bytes, string Caption = "")
{
    public string ToHtml() =>
        $"<figure style=\"margin:0\"><img src=\"data:image/png;base64,{Convert.ToBase64String(Bytes)}\"/>"
        + (Caption.Length > 0 ? $"<figcaption>{System.Net.WebUtility.HtmlEncode(Caption)}</figcaption>" : "") + "</figure>";

    /// <summary>Writes the PNG (atomically) and returns the path.</summary>
    public string Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllBytes(temp, Bytes);
        File.Move(temp, full, overwrite: true);
        return full;
    }
}

/// <summary>
/// Panels shown as a grid: heat-map overlays with outlined ground truth when the panels carry maps and masks,
/// plain images otherwise.
/// </summary>
public sealed record MapGallery(IReadOnlyList<MapPanel> Panels, string Caption = "", int Columns = 4, OverlayOptions? Options = null)
{
    /// <summary>A gallery whose maps share one colour scale (min and max over all panels), so they compare.</summary>
    public static MapGallery SharedScale(IReadOnlyList<MapPanel> panels, string caption = "", int columns = 4, double opacity = 0.5)
    {
        var values = panels.Where(p => p.Map is not null).SelectMany(p => p.Map!).Where(float.IsFinite).ToArray();
        (float, float)? range = values.Length > 0 && values.Max() > values.Min() ? (values.Min(), values.Max()) : null;
        return new MapGallery(panels, caption, columns, new OverlayOptions(Opacity: opacity, Range: range));
    }

    public PngImage ToPng() => new(HeatmapOverlay.RenderGridPng(Panels, Columns, Options), Caption);
}
