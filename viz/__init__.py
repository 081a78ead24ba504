"""viz: computation graphs drawn the way the textbook draws them, step-by-step backprop pages,
and plots (training curves, attention maps, embeddings).

    import viz
    loss.backward(retain_graph=True)
    viz.save(viz.draw(loss, show="both", names=model), "graph.svg")
    viz.backprop_html(loss, "backprop.html")
"""
from tinygrad_nlp import scope

from .draw import draw, edge_label, format_array, render_graph
from .explore import Explorer, backprop_html, explore
from .lenses import draw_beam, gradient_flow, plot_gradient_flows
from .frames import backprop_digraphs, backprop_frames, backprop_steps
from .attention_maps import plot_attention_heads
from .plots import embedding_map, plot_attention, plot_curves, plot_embeddings
from .transformer_figures import transformer_example, transformer_figure
from .render import GraphvizNotFound, has_dot, render_bytes, save

__all__ = [
    "Explorer", "GraphvizNotFound", "backprop_digraphs", "backprop_frames", "backprop_html", "backprop_steps", "draw", "draw_beam", "edge_label", "explore", "format_array", "gradient_flow",
    "embedding_map", "has_dot", "plot_attention", "plot_attention_heads", "plot_curves", "plot_embeddings", "plot_gradient_flows", "render_bytes", "render_graph", "save", "scope", "transformer_example", "transformer_figure",
]
