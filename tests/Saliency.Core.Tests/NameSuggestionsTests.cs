namespace Saliency.Tests;

/// <summary>The one "Did you mean" hint that every unknown-name message of Saliency uses.</summary>
public sealed class NameSuggestionsTests
{
    [Theory]
    [InlineData("gradcam", " Did you mean 'grad-cam'?")]
    [InlineData("GRAD-CAM", " Did you mean 'grad-cam'?")]
    [InlineData("camm", " Did you mean 'cam'?")]
    [InlineData("integrated-gradients", "")]
    public void The_hint_names_the_nearest_close_candidate_or_is_empty(string name, string hint) =>
        NameSuggestions.DidYouMean(name, ["cam", "grad-cam", "guided-backprop"]).Should().Be(hint);

    [Fact]
    public void No_candidates_give_no_hint() =>
        NameSuggestions.DidYouMean("cam", []).Should().BeEmpty();
}
