namespace Saliency;

/// <summary>How gradients pass backwards through ReLUs when gradients with respect to the input are taken.</summary>
public enum GradientMode
{
    /// <summary>The ordinary gradient.</summary>
    Plain,

    /// <summary>
    /// Guided Backprop (Springenberg et al. 2015): through every ReLU, the gradient becomes <c>(x &gt; 0)·(g &gt; 0)·g</c>.
    /// </summary>
    Guided,
}
