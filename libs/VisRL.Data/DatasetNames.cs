using System.Text.RegularExpressions;

namespace VisRL.Data;

/// <summary>Dataset and split names become blob key segments and file names, so they are kept plain.</summary>
public static partial class DatasetNames
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex Plain();

    public static void Validate(string value, string what)
    {
        if (!Plain().IsMatch(value) || value.Contains(".."))
            throw new ArgumentException($"{what} '{value}' must be 1-100 letters, digits, '_', '-' or '.', starting with a letter or digit");
    }
}
