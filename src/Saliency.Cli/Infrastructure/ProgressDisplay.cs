using Spectre.Console;

namespace Saliency.Cli.Infrastructure;

/// <summary>
/// Shows progress of long work: a live bar on a terminal; on redirected output, one plain line per tenth done
/// (so logs stay readable and free of control codes).
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Runs <paramref name="work"/>, which reports how many of <paramref name="total"/> units are done.</summary>
    public static T Run<T>(CliConsole console, string description, double total, Func<Action<double, string?>, T> work)
    {
        if (console.Interactive)
        {
            return console.Out.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask(Markup.Escape(description), maxValue: total);
                    return work((done, note) =>
                    {
                        task.Value = done;
                        if (note is not null)
                        {
                            task.Description = Markup.Escape($"{description} {note}");
                        }
                    });
                });
        }

        var reported = 0;
        return work((done, note) =>
        {
            var tenths = total <= 0 ? 10 : (int)Math.Floor(10 * done / total);
            if (tenths > reported)
            {
                reported = tenths;
                console.WriteLine($"{description}: {Math.Min(100, tenths * 10)}%{(note is null ? string.Empty : " " + note)}");
            }
        });
    }
}
