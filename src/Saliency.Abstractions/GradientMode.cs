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

    /// <summary>
    /// Deconvolution (Zeiler &amp; Fergus 2014, as Captum computes it): through every ReLU module, the gradient becomes
    /// <c>max(g, 0)</c>, whatever the sign of the ReLU's input in the forward pass.
    /// </summary>
    Deconvolution,
}
