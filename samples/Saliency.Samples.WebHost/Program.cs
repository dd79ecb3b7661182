using Saliency;
using Saliency.Samples.WebHost;

var builder = WebApplication.CreateBuilder(args);

// One SaliencyHost for the application: a singleton that logs through ILogger<SaliencyHost>, configured from the
// "Saliency" section (appsettings.json, environment, command line: Saliency:PluginDirectories:0=/srv/plugins).
// Hot reload is on: a plugin folder copied into a plugin directory is served without a restart.
builder.Services.AddSaliency();
builder.Services.AddSingleton<DemoModel>();

var app = builder.Build();

app.MapGet("/methods", (SaliencyHost host) =>
    host.Methods.Select(m => new MethodInfo(m.Id, m.DisplayName, m.Description)));

// multipart/form-data: image (PNG or JPEG), method (default grad-cam), target (a class index; default: the top class).
app.MapPost("/explain", async (IFormFile image, [Microsoft.AspNetCore.Mvc.FromForm] string? method, [Microsoft.AspNetCore.Mvc.FromForm] int? target, SaliencyHost host, DemoModel model, CancellationToken cancellation) =>
{
    await using var stream = image.OpenReadStream();
    using var buffer = new MemoryStream();
    await stream.CopyToAsync(buffer, cancellation);
    try
    {
        var png = model.Explain(host, buffer.ToArray(), image.FileName, method ?? "grad-cam", target, cancellation);
        return Results.File(png, "image/png");
    }
    catch (Exception e) when (e is ArgumentException or SaliencyException)
    {
        return Results.BadRequest(new ErrorInfo(e.Message));
    }
}).DisableAntiforgery();

app.Run();

/// <summary>The application's entry point (public for WebApplicationFactory).</summary>
public partial class Program;
