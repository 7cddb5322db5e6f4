using System.Globalization;
using System.Net;
using System.Text;

namespace VisRL.Cli.Reports;

/// <summary>One named series of (step, value) points.</summary>
internal sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>A small inline SVG line chart (axes with min/max labels, one polyline per series, a legend): no script, no external file.</summary>
internal static class SvgChart
{
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

    public static string Lines(string title, IReadOnlyList<Series> series, int width = 420, int height = 220)
    {
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{WebUtility.HtmlEncode(title)}</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"14\" text-anchor=\"middle\" font-size=\"12\">{WebUtility.HtmlEncode(title)}</text>");
        const int left = 48, right = 10, top = 22, bottom = 34;
        int plotW = width - left - right, plotH = height - top - bottom;
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#999\"/>");
        if (points.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"{height / 2}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#666\">no data</text></svg>");
            return svg.ToString();
        }
        double x0 = points.Min(p => p.X), x1 = points.Max(p => p.X), y0 = points.Min(p => p.Y), y1 = points.Max(p => p.Y);
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) { y0 -= 0.5; y1 += 0.5; }
        string Fx(double x) => (left + (x - x0) / (x1 - x0) * plotW).ToString("0.#", CultureInfo.InvariantCulture);
        string Fy(double y) => (top + plotH - (y - y0) / (y1 - y0) * plotH).ToString("0.#", CultureInfo.InvariantCulture);
        string Label(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + 8}\" text-anchor=\"end\" font-size=\"10\">{Label(y1)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + plotH}\" text-anchor=\"end\" font-size=\"10\">{Label(y0)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{top + plotH + 12}\" font-size=\"10\">{Label(x0)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotW}\" y=\"{top + plotH + 12}\" text-anchor=\"end\" font-size=\"10\">{Label(x1)} steps</text>");
        for (int i = 0; i < series.Count; i++)
        {
            var color = Colors[i % Colors.Length];
            var line = string.Join(' ', series[i].Points.Where(p => double.IsFinite(p.Y)).OrderBy(p => p.X).Select(p => $"{Fx(p.X)},{Fy(p.Y)}"));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{line}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + 6 + i * 130}\" y=\"{height - 4}\" font-size=\"10\" fill=\"{color}\">{WebUtility.HtmlEncode(series[i].Name)}</text>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }
}
