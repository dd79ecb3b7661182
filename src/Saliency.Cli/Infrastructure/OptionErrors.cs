using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console.Cli;

namespace Saliency.Cli.Infrastructure;

/// <summary>
/// Turns Spectre's "Failed to convert '…' to Nullable`1." into a line that names the option and what it takes
/// (<c>--top-k '99999999999' is not a whole number from 1 to 2147483647</c>), found from the command line and the
/// option's declared type.
/// </summary>
internal static partial class OptionErrors
{
    public static Exception Explain(Exception error, IReadOnlyList<string> args)
    {
        if (error is not CommandAppException || ConversionFailed().Match(error.Message) is not { Success: true } match)
        {
            return error;
        }

        var value = match.Groups[1].Value;
        var option = OptionOf(value, args);
        if (option is null)
        {
            return error;
        }

        var type = OptionType(option);
        var expected = type is null ? "a valid value" : Expected(type);
        return new ArgumentException($"{option} '{value}' is not {expected}.", error);
    }

    private static string? OptionOf(string value, IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == value && i > 0 && args[i - 1].StartsWith('-'))
            {
                return args[i - 1];
            }

            var equals = args[i].IndexOf('=', StringComparison.Ordinal);
            if (args[i].StartsWith('-') && equals > 0 && args[i][(equals + 1)..] == value)
            {
                return args[i][..equals];
            }
        }

        return null;
    }

    private static Type? OptionType(string option)
    {
        var name = option.TrimStart('-');
        var longForm = option.StartsWith("--", StringComparison.Ordinal);
        foreach (var type in typeof(OptionErrors).Assembly.GetTypes().Where(t => typeof(CommandSettings).IsAssignableFrom(t)))
        {
            foreach (var property in type.GetProperties())
            {
                if (property.GetCustomAttribute<CommandOptionAttribute>() is { } attribute
                    && (longForm ? attribute.LongNames : attribute.ShortNames).Contains(name, StringComparer.Ordinal))
                {
                    return Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                }
            }
        }

        return null;
    }

    private static string Expected(Type type) =>
        type == typeof(int) ? string.Create(CultureInfo.InvariantCulture, $"a whole number (at most {int.MaxValue})")
        : type == typeof(long) ? string.Create(CultureInfo.InvariantCulture, $"a whole number (at most {long.MaxValue})")
        : type == typeof(float) || type == typeof(double) ? "a number, e.g. 0.5"
        : type == typeof(bool) ? "true or false"
        : $"a valid {type.Name}";

    [GeneratedRegex("^Failed to convert '(.*)' to ", RegexOptions.Singleline)]
    private static partial Regex ConversionFailed();
}
