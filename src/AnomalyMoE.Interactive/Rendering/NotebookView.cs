using System.Net;
using System.Text.RegularExpressions;
using AnomalyMoE.Interactive.Tables;
using Microsoft.Data.Analysis;
using Plotly.NET;

namespace AnomalyMoE.Interactive.Rendering;

/// <summary>
/// One named view of a notebook (a domain's table, chart or gallery) with a heading and an optional sentence on how to
/// read it. Its HTML is a <c>&lt;section class="amoe-view" data-view="Id"&gt;</c>, so a headless run can tell which
/// views a notebook showed.
/// </summary>
public sealed partial record NotebookView(string Id, string Title, object Content, string? Note = null)
{
    public NotebookView Validate()
    {
        if (!IdPattern().IsMatch(Id)) throw new ArgumentException($"View id '{Id}' must be lower-case letters, digits and dashes.", nameof(Id));
        ArgumentNullException.ThrowIfNull(Content);
        return this;
    }

    public string ToHtml()
    {
        Validate();
        return $"<section class=\"amoe-view\" data-view=\"{Id}\"><h4>{WebUtility.HtmlEncode(Title)}</h4>{ContentHtml(Content)}"
               + (Note is { Length: > 0 } n ? $"<p>{WebUtility.HtmlEncode(n)}</p>" : "") + "</section>";
    }

    /// <summary>The HTML of what a view holds: a PNG, a gallery, a data frame, a Plotly chart, text, preformatted text, another view, or a list of these.</summary>
    public static string ContentHtml(object content) => content switch
    {
        PngImage png => png.ToHtml(),
        MapGallery gallery => gallery.ToPng().ToHtml(),
        DataFrame frame => MetricsTables.ToHtml(frame),
        GenericChart chart => AnomalyMoENotebook.ChartHtml(chart),
        string text => $"<p>{WebUtility.HtmlEncode(text)}</p>",
        Preformatted block => $"<pre>{WebUtility.HtmlEncode(block.Text)}</pre>",
        NotebookView view => view.ToHtml(),
        IEnumerable<object> parts => string.Concat(parts.Select(ContentHtml)),
        _ => throw new ArgumentException($"A view cannot show a {content.GetType().Name}."),
    };

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")] private static partial Regex IdPattern();
}

/// <summary>Text shown as it is written (scripts, command lines), in a monospaced block.</summary>
public sealed record Preformatted(string Text);
