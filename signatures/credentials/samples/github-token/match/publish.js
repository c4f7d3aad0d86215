const token = 'ghp_1uyeywCGYs6G62kquwcAWiQsuswwk48uOy26';
