using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Tables;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;

namespace AnomalyMoE.Interactive;

/// <summary>
/// Makes the kit's results display themselves in a .NET Interactive notebook. Loading the package
/// (<c>#r "nuget: AnomalyMoE.Interactive, 1.0.0"</c>, as the notebooks do) runs <see cref="Register"/> through
/// <see cref="AnomalyMoEKernelExtension"/>; other hosts call it themselves.
/// </summary>
public static class AnomalyMoENotebook
{
    static int registered;

    /// <summary>Registers HTML formatters for galleries, PNGs, Plotly charts, data frames and views. Safe to call more than once.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        Formatter.Register<PngImage>((image, writer) => writer.Write(image.ToHtml()), HtmlFormatter.MimeType);
        Formatter.Register<MapGallery>((gallery, writer) => writer.Write(gallery.ToPng().ToHtml()), HtmlFormatter.MimeType);
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(ChartHtml(chart)), HtmlFormatter.MimeType);
        Formatter.Register<DataFrame>((frame, writer) => writer.Write(MetricsTables.ToHtml(frame)), HtmlFormatter.MimeType);
        Formatter.Register<NotebookView>((view, writer) => writer.Write(view.ToHtml()), HtmlFormatter.MimeType);
        foreach (var type in new[] { typeof(PngImage), typeof(MapGallery), typeof(GenericChart), typeof(DataFrame), typeof(NotebookView) })
            Formatter.SetPreferredMimeTypesFor(type, HtmlFormatter.MimeType);
    }

    /// <summary>
    /// The chart as an HTML fragment that loads plotly.js through require.js from Plotly.NET's default CDN address (what the
    /// Plotly.NET.Interactive extension does; a bare fragment would assume a page that already has plotly.js) and draws it.
    /// </summary>
    public static string ChartHtml(GenericChart chart) =>
        GenericChart.toChartHTML(Plotly.NET.Chart.withDisplayOptions(NotebookDisplay.Value).Invoke(chart));

    static readonly Lazy<DisplayOptions> NotebookDisplay = new(() =>
    {
        // require.js wants the module path without its ".js".
        var cdn = Defaults.DefaultDisplayOptions.TryGetTypedPropertyValue<PlotlyJSReference>("PlotlyJSReference")?.Value as PlotlyJSReference.CDN
            ?? throw new InvalidOperationException("Plotly.NET's default display options name no plotly.js CDN address.");
        var module = cdn.Item.EndsWith(".js", StringComparison.Ordinal) ? cdn.Item[..^3] : cdn.Item;
        return DisplayOptions.init(null, null, null, null, null, null, PlotlyJSReference.NewRequire(module));
    });

    /// <summary>
    /// A progress sink for long calls: shows one line under the cell and updates it in place
    /// (outside a notebook the lines go to the console).
    /// </summary>
    public static NotebookProgress Progress(string title = "")
    {
        var prefix = title.Length > 0 ? title + " — " : "";
        if (KernelInvocationContext.Current is null) return new NotebookProgress(line => Console.WriteLine(prefix + line), TimeSpan.FromSeconds(2));
        var shown = (prefix + "starting…").Display("text/plain");
        return new NotebookProgress(line => shown.Update(prefix + line));
    }
}

/// <summary>The kernel extension entry point (package layout <c>interactive-extensions/dotnet/</c>).</summary>
public sealed class AnomalyMoEKernelExtension : IKernelExtension
{
    public Task OnLoadAsync(Kernel kernel)
    {
        // Before Register: it is the first code that touches Plotly.NET.
        KernelAssemblyBinding.Install();
        AnomalyMoENotebook.Register();
        return Task.CompletedTask;
    }
}
