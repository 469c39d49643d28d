"""rtgym_nb: real-time Gymnasium environments and the notebooks that teach them."""
